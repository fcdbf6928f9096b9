// defines: scalelab::fit::Estimate, Estimates, estimate_with_ci, estimates_to_json,
//          FitModel, forecast_loss, forecast_at_budget
//
// Using a fit: every quantity computed from a fit's parameters (a forecast loss, an
// allocation, a cost) is evaluated once at the point estimate and once per bootstrap draw
// (FitResult::samples), which gives its percentile CI and standard error.
//
//   FitResult fit = load_fit("fit.json");
//   Estimates e = forecast_loss(fit, /*N=*/7e10, /*D=*/1.4e12);   // e[0].name == "loss"
//   Estimates b = forecast_at_budget(fit, /*C=*/5.76e23);         // N_opt, D_opt, loss, ...
//   fmt::print("{} in [{}, {}]\n", e[0].value, e[0].lo, e[0].hi);
//
// A fit of approach 1 or 2 has no loss law: it gives N_opt and D_opt at a budget, and a
// loss forecast is an InputError saying an approach-3 fit is needed.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/json.h"
#include "fit/derived.h"
#include "fit/fit_result.h"
#include "fit/law.h"

namespace scalelab::fit {

// One quantity with its bootstrap interval. `has_ci` is false when the fit has fewer than
// two usable draws. `hi` (or `lo`) is +inf when some draws never reach the quantity's
// condition (an unreachable target loss).
struct Estimate {
  std::string name;
  double value = 0;
  std::string unit;  // "FLOP", "params", "tokens", "nats/token", "h", ...
  bool has_ci = false;
  double lo = 0, hi = 0, se = 0;
  int draws = 0, failed_draws = 0;  // draws used, and draws where f threw or gave NaN
};
using Estimates = std::vector<Estimate>;

// f maps natural parameters to one value per name. Evaluated at fit.params (errors
// propagate) and at each bootstrap sample (an InputError in a sample makes it a failed
// draw). Parallel over samples; the result does not depend on the thread count.
using ParamFunction = std::function<std::vector<double>(std::span<const double>)>;
Estimates estimate_with_ci(const FitResult& fit, const std::vector<std::string>& names,
                           const std::vector<std::string>& units, const ParamFunction& f);

// {"name": {"value", "unit", "ci": [lo, hi] (null bounds = unbounded), "se", "draws"}} in order.
Json estimates_to_json(const Estimates& e);
// Console rendering: one row per estimate, "name  value  [lo, hi]  se  unit"; "inf" for
// an unbounded end.
std::string format_estimates(const Estimates& e, double ci_level);
// The estimate called `name`; InternalError if absent.
const Estimate& find_estimate(const Estimates& e, const std::string& name);

// A fit's loss surface and compute-optimal frontier as functions of its parameters, so
// the same code evaluates the point estimate and every bootstrap draw.
class FitModel {
 public:
  explicit FitModel(const FitResult& fit);  // InputError if the law is unknown

  const FitResult& fit() const { return fit_; }
  bool has_loss() const { return law_ != nullptr; }
  const Law* law() const { return law_.get(); }
  // InputError naming `what` when the fit has no loss law (approaches 1 and 2).
  void require_loss(const char* what) const;

  // Predicted loss at (N, D) with C = 6 N D and U unique tokens (0 = unconstrained).
  double loss(std::span<const double> p, double N, double D, double U = 0) const;

  // A law in compute alone (power or bnsl with --variable C, Kaplan et al. 2020's L(C)):
  // it forecasts loss at a budget but says nothing of the split into N and D.
  bool compute_only() const { return law_ && law_->columns() == "C"; }
  double loss_at_compute(std::span<const double> p, double C) const;

  // The point on C = 6 N D with the least predicted loss. Chinchilla: closed form
  // (Hoffmann et al. 2022, eq. 4; derived.h). Approaches 1/2: N = G (C/6)^a, D = C/(6N).
  // Other laws: a dense scan of log N over [0, log(C/6)] refined by golden-section
  // search; InputError when the minimum is at the end of the range (a law in one variable,
  // or one whose loss keeps falling as N or D grows at fixed C, has no interior optimum).
  ComputeOptimal optimal(std::span<const double> p, double C, double U = 0) const;
  // Predicted loss at optimal(p, C) (for a compute-only law, at C); needs a loss law.
  double optimal_loss(std::span<const double> p, double C, double U = 0) const;

 private:
  const FitResult& fit_;
  std::unique_ptr<Law> law_;
};

// A fit written by `scalelab fit --json`, of any approach (FitResult::from_json), with
// errors prefixed by the file or source name.
FitResult load_fit(const std::filesystem::path& path);
FitResult fit_from_json(const Json& j, const std::string& source);

// Loss at (N, D) (C = 6ND), with U unique tokens for the data-constrained law.
Estimates forecast_loss(const FitResult& fit, double N, double D, double U = 0);
// Compute-optimal N, D, tokens per parameter and (with a loss law) loss at budget C; only
// the loss for a compute-only law.
Estimates forecast_at_budget(const FitResult& fit, double C, double U = 0);

}  // namespace scalelab::fit
