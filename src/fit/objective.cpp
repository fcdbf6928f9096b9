// The summed Huber objective of any law, one point at a time (the fused SIMD loops of the
// laws that run on big start grids are in objective_simd.cpp).
#include "fit/objective.h"

#include "core/error.h"
#include "fit/law_math.h"

#include <cmath>
#include <vector>

namespace scalelab::fit {

double generic_objective(const Law& law, std::span<const double> theta, const Points& pts,
                         std::span<const double> weights, double delta, std::span<double> grad) {
  size_t p = theta.size(), n = pts.size();
  SL_ASSERT(grad.size() == p && weights.size() == n);
  std::fill(grad.begin(), grad.end(), 0.0);
  std::vector<double> gi(p);
  double f = 0;
  for (size_t i = 0; i < n; ++i) {
    if (weights[i] == 0) continue;
    double r = law.log_predict_fit(theta, pts, i, gi) - pts.logloss[i];
    f += weights[i] * huber(r, delta);
    double s = weights[i] * huber_slope(r, delta);
    for (size_t j = 0; j < p; ++j) grad[j] += s * gi[j];
  }
  return f;
}

}  // namespace scalelab::fit
