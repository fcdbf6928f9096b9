// defines: scalelab::fit::ErrorLawFit, scalelab::fit::fit_error_law
//
// Gadre et al. 2024 (arXiv:2403.08540), eq. 5: a downstream metric of a language
// model (average top-1 error over their 17 tasks) as a function of its loss,
//   Err(L) = epsilon - k exp(-gamma L),
// fitted by least squares on the raw error, as the paper does, over rows with both a loss
// and an error (Observation::error), from a grid of starts. Chained onto a loss forecast
// (heldout.h), it forecasts the error of a model that was never trained.
//
//   Observations rows = ...;                          // loss and error of the fit runs
//   ErrorLawFit e = fit_error_law(rows, FitOptions{});
//   double err = e.predict(2.55);                     // forecast error at loss 2.55
//
// InputError naming the law ("error law") when fewer than 4 rows, fewer than 3 distinct
// losses, a missing (NaN) error, or no start converges.
#pragma once

#include <string>

#include "core/json.h"
#include "fit/fit_result.h"
#include "fit/observations.h"

namespace scalelab::fit {

struct ErrorLawFit {
  double epsilon = 0, k = 0, gamma = 0;  // Err(L) = epsilon - k exp(-gamma L)
  double objective = 0;    // 1/2 sum (Err(L_i) - err_i)^2 at the optimum
  int points = 0;
  int starts = 0;
  int starts_converged = 0;  // starts within FitOptions::optimum_tolerance of the best
  bool converged = false;
  std::string message;     // one line: how the best start stopped

  static std::string formula() { return "Err(L) = epsilon - k*exp(-gamma*L) (Gadre et al. 2024, eq. 5)"; }
  double predict(double loss) const;  // increasing in L when k, gamma > 0
  // {"formula", "params": {"epsilon", "k", "gamma"}, "objective", "points", "starts",
  //  "starts_converged", "converged", "message"}
  Json to_json() const;
};

// Uses options' solver tolerances (final ones), optimum_tolerance and nothing else.
ErrorLawFit fit_error_law(const Observations& rows, const FitOptions& options);

}  // namespace scalelab::fit
