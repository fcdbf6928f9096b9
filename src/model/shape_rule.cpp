#include "model/shape_rule.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/accounting.h"

namespace scalelab {

ModelConfig shape_for_params(double target, const ShapeRule& rule, const ModelConfig& base) {
  SL_REQUIRE(target > 0 && std::isfinite(target), "target params_nonembedding: expected > 0, got {}", target);
  SL_REQUIRE(rule.aspect_ratio > 0, "shape rule aspect_ratio: expected > 0, got {}", rule.aspect_ratio);
  SL_REQUIRE(rule.head_size > 0, "shape rule head_size: expected > 0, got {}", rule.head_size);
  ModelConfig best = base;
  double best_err = std::numeric_limits<double>::infinity();
  for (int64_t L = 1; L <= 256; ++L) {
    int64_t heads = std::max<int64_t>(1, std::llround(rule.aspect_ratio * static_cast<double>(L) /
                                                      static_cast<double>(rule.head_size)));
    ModelConfig m = base;
    m.n_layer = L;
    m.d_model = heads * rule.head_size;
    m.n_head = heads;
    double n = static_cast<double>(count_params(m).nonembedding);
    double err = std::fabs(std::log(n / target));
    if (err < best_err) {
      best_err = err;
      best = m;
    }
  }
  return best;
}

}  // namespace scalelab
