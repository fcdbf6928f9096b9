// The summed Huber objective of any law, and least squares on raw loss, one point at a time
// (the fused SIMD loops of the laws that run on big start grids are in objective_simd.cpp).
#include "fit/objective.h"

#include "core/error.h"
#include "fit/law_math.h"

#include <cmath>
#include <utility>
#include <vector>

namespace scalelab::fit {

namespace {

// sum_i w_i rho_i(log L-hat_i) and its gradient in fit space; point_loss(i, lp) returns
// {rho_i, d rho_i / d log L-hat_i} at lp = log L-hat_i, so both objectives share the loop.
template <class PointLoss>
double summed_objective(const Law& law, std::span<const double> theta, const Points& pts,
                        std::span<const double> weights, std::span<double> grad, PointLoss point_loss) {
  size_t p = theta.size(), n = pts.size();
  SL_ASSERT(grad.size() == p && weights.size() == n);
  std::fill(grad.begin(), grad.end(), 0.0);
  std::vector<double> gi(p);
  double f = 0;
  for (size_t i = 0; i < n; ++i) {
    if (weights[i] == 0) continue;
    auto [rho, slope] = point_loss(i, law.log_predict_fit(theta, pts, i, gi));
    f += weights[i] * rho;
    double s = weights[i] * slope;
    for (size_t j = 0; j < p; ++j) grad[j] += s * gi[j];
  }
  return f;
}

}  // namespace

double generic_objective(const Law& law, std::span<const double> theta, const Points& pts,
                         std::span<const double> weights, double delta, std::span<double> grad) {
  return summed_objective(law, theta, pts, weights, grad, [&](size_t i, double lp) {
    double r = lp - pts.logloss[i];
    return std::pair{huber(r, delta), huber_slope(r, delta)};
  });
}

double least_squares_objective(const Law& law, std::span<const double> theta, const Points& pts,
                               std::span<const double> weights, std::span<double> grad) {
  return summed_objective(law, theta, pts, weights, grad, [&](size_t i, double lp) {
    double Lhat = std::exp(lp), r = Lhat - pts.loss[i];
    return std::pair{0.5 * r * r, r * Lhat};
  });
}

}  // namespace scalelab::fit
