// shape_for_params (Kaplan et al. 2020, sec. 3.1): a ladder at fixed aspect ratio and
// head size, the depth chosen to land nearest a target params_nonembedding in log space.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "model/accounting.h"
#include "model/shape_rule.h"

namespace scalelab {
namespace {

double nonemb(const ModelConfig& m) { return static_cast<double>(count_params(m).nonembedding); }

TEST(ShapeRule, ShapesOnTheRuleAreRecoveredExactly) {
  const ShapeRule rule{.aspect_ratio = 32, .head_size = 16};
  ModelConfig base;
  for (int64_t L : {1, 2, 4, 6, 12}) {
    ModelConfig m = base;
    m.n_layer = L;
    m.d_model = 32 * L;  // a multiple of 16
    m.n_head = m.d_model / 16;
    const ModelConfig got = shape_for_params(nonemb(m), rule, base);
    EXPECT_EQ(got.n_layer, L);
    EXPECT_EQ(got.d_model, 32 * L);
    EXPECT_EQ(got.n_head, 2 * L);
  }
}

TEST(ShapeRule, ObeysTheRuleAndIsNearestInLogSpace) {
  const ShapeRule rule{.aspect_ratio = 48, .head_size = 32};
  ModelConfig base;
  base.seq_len = 512;
  base.vocab = 1000;
  base.parameterization = "mup";
  double previous = 0;
  for (double target : {3e4, 1e5, 1e6, 3e6, 1e7, 1e8}) {
    SCOPED_TRACE(std::to_string(target));
    const ModelConfig m = shape_for_params(target, rule, base);
    EXPECT_NO_THROW(m.validate());
    EXPECT_EQ(m.d_model % 32, 0);
    EXPECT_EQ(m.n_head, m.d_model / 32);
    EXPECT_EQ(m.head_size(), 32);
    EXPECT_EQ(m.seq_len, 512);  // other fields from base
    EXPECT_EQ(m.vocab, 1000);
    EXPECT_EQ(m.parameterization, "mup");
    // d_model is the multiple of the head size nearest aspect_ratio x n_layer.
    EXPECT_LE(std::fabs(static_cast<double>(m.d_model) - 48.0 * static_cast<double>(m.n_layer)), 16.0);
    // Nearest among the rule's shapes: one layer more or fewer is no closer, and the
    // target lies between those two neighbours (so the pick is not at a far end).
    const double err = std::fabs(std::log(nonemb(m) / target));
    for (int64_t dl : {-1, 1}) {
      if (m.n_layer + dl < 1) continue;
      ModelConfig other = m;
      other.n_layer = m.n_layer + dl;
      other.n_head = std::max<int64_t>(1, std::llround(48.0 * static_cast<double>(other.n_layer) / 32.0));
      other.d_model = other.n_head * 32;
      EXPECT_GE(std::fabs(std::log(nonemb(other) / target)), err);
      if (dl < 0) {
        EXPECT_LE(nonemb(other), target);
      } else {
        EXPECT_GE(nonemb(other), target);
      }
    }
    EXPECT_GE(nonemb(m), previous);  // monotone in the target
    previous = nonemb(m);
  }
}

TEST(ShapeRule, BadInputNamesTheField) {
  ModelConfig base;
  EXPECT_THROW(shape_for_params(0, ShapeRule{}, base), InputError);
  EXPECT_THROW(shape_for_params(-5, ShapeRule{}, base), InputError);
  try {
    shape_for_params(1e6, ShapeRule{.aspect_ratio = 0, .head_size = 16}, base);
    ADD_FAILURE() << "accepted aspect_ratio 0";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("aspect_ratio"), std::string::npos) << e.what();
  }
  try {
    shape_for_params(1e6, ShapeRule{.aspect_ratio = 32, .head_size = 0}, base);
    ADD_FAILURE() << "accepted head_size 0";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("head_size"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace scalelab
