// defines: scalelab::fit::generic_objective, scalelab::fit::chinchilla_objective,
//          scalelab::fit::least_squares_objective
//
// The fitting objective of Hoffmann et al. 2022 (Appendix D.2) as replicated by Besiroglu
// et al. 2024: the Huber loss (threshold delta, 1e-3 by default) of log-space residuals,
// SUMMED over points (not averaged; the sum is what reproduces Besiroglu et al.'s optimum
// since the tolerances of the solver are relative to it):
//
//   f(theta) = sum_i w_i Huber_delta( log L-hat(x_i; theta) - log L_i )
//
// w_i are non-negative integer-valued weights: 1 for a plain fit, the number of times a
// point was drawn for a bootstrap resample (so resampling never copies the data).
// For Chinchilla, log L-hat = LSE(a - alpha log N, b - beta log D, e) with A = e^a,
// B = e^b, E = e^e (Hoffmann et al. 2022, eq. 8).
//
//   std::vector<double> w(pts.size(), 1.0), g(5);
//   double f = chinchilla_objective(theta, pts, w, 1e-3, g);   // theta = {e, a, b, alpha, beta}
#pragma once

#include "fit/law.h"

#include <span>

namespace scalelab::fit {

// Any law, one log_predict_fit call per point. grad has law.dim() entries.
double generic_objective(const Law& law, std::span<const double> theta, const Points& pts,
                         std::span<const double> weights, double delta, std::span<double> grad);

// Half the weighted sum of squared raw-loss residuals (FitOptions objective "lsq"):
//   f(theta) = 1/2 sum_i w_i (L-hat(x_i; theta) - L_i)^2,
// with d f / d theta = sum_i w_i r_i L-hat_i d log L-hat_i / d theta; any law.
double least_squares_objective(const Law& law, std::span<const double> theta, const Points& pts,
                               std::span<const double> weights, std::span<double> grad);

// Chinchilla, fused and vectorised over points (objective_simd.cpp: Highway vectors,
// dispatched to the CPU's SIMD path). theta in the
// fit-space order of make_law("chinchilla"): {e, a, b, alpha, beta}.
double chinchilla_objective(std::span<const double> theta, const Points& pts,
                            std::span<const double> weights, double delta, std::span<double> grad);

// The same, for the single-variable power law E + A X^-alpha: theta = {e, a, alpha},
// logx = log X per point.
double power_objective(std::span<const double> theta, std::span<const double> logx,
                       std::span<const double> logloss, std::span<const double> weights,
                       double delta, std::span<double> grad);

}  // namespace scalelab::fit
