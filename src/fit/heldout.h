// defines: scalelab::fit::HeldoutForecast, forecast_heldout, heldout_to_json, format_heldout
//
// Fitting on some rows and forecasting others: each held-out row (never fitted) gets the
// fitted law's loss at its (N, D) with the fit's bootstrap interval (forecast_loss,
// forecast.h), the relative error against its actual loss and, with an error law
// (error_law.h), the chained forecast of its downstream error (Gadre et al. 2024:
// loss law, then Err(L)).
//
//   FitResult fit = fit_parametric(*make_law("overtrain"), fit_rows, opt);
//   ErrorLawFit e = fit_error_law(error_rows, opt);
//   auto h = forecast_heldout(fit, heldout_rows, &e);   // h[0].loss.value, h[0].rel_error
//   fmt::print("{}", format_heldout(h, fit.ci_level));
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "fit/error_law.h"
#include "fit/fit_result.h"
#include "fit/forecast.h"
#include "fit/observations.h"

namespace scalelab::fit {

struct HeldoutForecast {
  Observation row;     // the held-out row: N, D, its actual loss and error, name, row number
  Estimate loss;       // predicted loss with the fit's bootstrap CI (has_ci false without draws)
  double rel_error = 0;  // |predicted - actual| / actual loss
  // With an error law: Err(predicted loss); its interval is Err at the loss interval's ends
  // (Err increases with L), so it carries the loss law's uncertainty, not the error law's.
  bool has_error = false;
  double predicted_error = 0, error_lo = 0, error_hi = 0;
  double error_rel_error = 0;  // |predicted - actual| / actual error; NaN when the row has no error
};

// error_law may be null (no error forecasts).
std::vector<HeldoutForecast> forecast_heldout(const FitResult& fit, const Observations& rows,
                                              const ErrorLawFit* error_law);

// [{"row": name (or the 1-based row number when rows have no name), "N", "D", "predicted",
//   "lo", "hi" (null without bootstrap draws), "actual", "rel_error"} plus, with an error law,
//   "predicted_error", "error_lo", "error_hi", "actual_error", "error_rel_error"]
Json heldout_to_json(const std::vector<HeldoutForecast>& h);
// Console table, one line per row.
std::string format_heldout(const std::vector<HeldoutForecast>& h, double ci_level);

}  // namespace scalelab::fit
