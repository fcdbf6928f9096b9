// Whole-model gradient check: Gpt's float gradients against central differences of the
// double-precision reference forward (reference_gpt.h), for EVERY parameter of a tiny
// model (L=2, C=8, NH=2, T=5 < seq_len=6, V=11, B=2), under SP and muP, on the reference
// backend and on the CPU backend. The tied wte is checked through both of its uses
// (input embedding and readout) because the difference quotient sees both.
//
// Tolerances. The double loss is exact to ~1e-16; with step h = 1e-5 the central
// difference has truncation error ~h^2 |f'''| ~ 1e-10 and round-off ~1e-16/h ~ 1e-11, so
// it is the ground truth to ~1e-9. The float model's gradients carry fp32 rounding
// (~1e-7 relative per op, a few hundred ops deep), so each entry must satisfy
//   |g_float - g_fd| <= 2e-4 |g_fd| + 1e-5 * max_j |g_fd[j]|  (max over all parameters).
// Measured on the reference backend: worst error ~1e-2 of this tolerance. A missing
// path (e.g. one use of wte, one residual branch) or a wrong view offset changes
// gradients by O(1) relative and fails this by orders of magnitude.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "backend/gpt.h"
#include "gpt_test_util.h"
#include "reference_gpt.h"

namespace scalelab {
namespace {

using testing::make_test_backend;
using testing::random_params;
using testing::random_tokens;
using testing::tiny_config;

struct GradCase {
  std::string backend;
  std::string parameterization;
};

void PrintTo(const GradCase& c, std::ostream* os) { *os << c.backend << "/" << c.parameterization; }

class GptGradTest : public ::testing::TestWithParam<GradCase> {};

TEST_P(GptGradTest, WholeModelMatchesFiniteDifferences) {
  const GradCase c = GetParam();
  const ModelConfig cfg = tiny_config(c.parameterization);
  const int B = 2, T = 5;
  const size_t n = static_cast<size_t>(B * T);
  auto be = make_test_backend(c.backend);
  Gpt gpt(cfg, *be, /*max_batch=*/3);  // B < max_batch and T < seq_len on purpose
  const ParamLayout& layout = gpt.layout();

  std::vector<float> pf = random_params(cfg, 11);
  std::vector<int32_t> inputs = random_tokens(n, cfg.vocab, 21);
  std::vector<int32_t> targets = random_tokens(n, cfg.vocab, 31);
  targets[3] = -1;  // an ignored position
  gpt.set_params(pf.data());
  gpt.zero_grad();
  const double loss_f = gpt.forward_backward(inputs.data(), targets.data(), B, T, 1.0f);
  std::vector<float> gf(layout.total());
  gpt.get_grads(gf.data());

  std::vector<double> pd(pf.begin(), pf.end());
  const double loss_d = ref::gpt_forward<double>(cfg, pd.data(), inputs.data(), targets.data(), B, T);
  ASSERT_TRUE(std::isfinite(loss_d));
  EXPECT_NEAR(loss_f, loss_d, 1e-5 * loss_d) << "float forward loss vs double reference";

  const double h = 1e-5;
  std::vector<double> gd(layout.total());
  for (size_t i = 0; i < pd.size(); ++i) {
    const double saved = pd[i];
    pd[i] = saved + h;
    const double up = ref::gpt_forward<double>(cfg, pd.data(), inputs.data(), targets.data(), B, T);
    pd[i] = saved - h;
    const double down = ref::gpt_forward<double>(cfg, pd.data(), inputs.data(), targets.data(), B, T);
    pd[i] = saved;
    gd[i] = (up - down) / (2 * h);
  }
  double gmax = 0;
  for (double g : gd) gmax = std::max(gmax, std::fabs(g));
  ASSERT_GT(gmax, 1e-3);

  for (int t = 0; t < kNumParamTensors; ++t) {
    const auto id = static_cast<ParamId>(t);
    const std::string name(layout.info(id).name);
    const size_t off = layout.offset(id), sz = layout.size(id);
    double worst = 0, tensor_max = 0;
    int failures = 0;
    for (size_t j = off; j < off + sz; ++j) {
      const double err = std::fabs(static_cast<double>(gf[j]) - gd[j]);
      const double tol = 2e-4 * std::fabs(gd[j]) + 1e-5 * gmax;
      worst = std::max(worst, err / tol);
      tensor_max = std::max(tensor_max, std::fabs(gd[j]));
      if (err > tol && ++failures <= 3)
        ADD_FAILURE() << name << "[" << j - off << "]: float " << gf[j] << " vs finite difference " << gd[j];
    }
    EXPECT_EQ(failures, 0) << name << ": " << failures << " of " << sz << " entries out of tolerance";
    // Every tensor takes part: a tensor whose gradient is identically zero would pass
    // the comparison trivially (wpe's untouched row aside, handled below).
    EXPECT_GT(tensor_max, 1e-6) << name << " has no gradient at all";
    RecordProperty(name + "_worst_err_over_tol", std::to_string(worst));
  }

  // wpe rows T..seq_len-1 never enter the loss: exactly zero in both.
  const size_t C = static_cast<size_t>(cfg.d_model);
  for (size_t j = static_cast<size_t>(T) * C; j < static_cast<size_t>(cfg.seq_len) * C; ++j) {
    EXPECT_EQ(gf[layout.offset(ParamId::kWpe) + j], 0.0f);
    EXPECT_EQ(gd[layout.offset(ParamId::kWpe) + j], 0.0);
  }
}

std::vector<GradCase> grad_cases() {
  std::vector<GradCase> cases;
  for (const auto& b : testing::test_backend_names())
    for (const char* p : {"sp", "mup"}) cases.push_back({b, p});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Backends, GptGradTest, ::testing::ValuesIn(grad_cases()),
                         [](const ::testing::TestParamInfo<GradCase>& info) {
                           return info.param.backend + "_" + info.param.parameterization;
                         });

}  // namespace
}  // namespace scalelab
