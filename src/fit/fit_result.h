// defines: scalelab::fit::FitOptions, scalelab::fit::FitResult
//
// What a fit is asked to do (FitOptions) and what it returns (FitResult): a summary, not a
// bool, in the manner of Ceres' Solver::Summary, plus the bootstrap draws so that later
// forecasts can carry confidence intervals.
//
//   FitOptions opt;  opt.bootstrap = 1000;  opt.seed = 7;
//   opt.validate();                                       // InputError naming the field
//   FitResult r = fit_parametric(*make_law("chinchilla"), obs, opt);   // approach3.h
//   write_json_atomic("fit.json", r.to_json());
//   FitResult back = FitResult::from_json(read_json_file("fit.json"));
//   double loss = back.predict(Observation{.N = 7e10, .D = 1.4e12});
//
// JSON layout (issue 3): {"law", "approach", "params": {name: value}, "ci": {name: [lo, hi]},
// "se": {name: value}, "objective", "points", "starts_converged", "derived": {"a", "b", ...}}
// plus "names" (parameter order), "law_options", "formula", "iterations", "converged",
// "starts", "message", "bootstrap", "seed", "ci_level" and "samples" (bootstrap draws of
// the natural parameters, one array per draw, in "names" order).
#pragma once

#include "core/json.h"
#include "fit/law.h"
#include "fit/observations.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace scalelab::fit {

// What the fit minimises (objective.h): "huber-log", the summed Huber loss of log-loss
// residuals (Hoffmann et al. 2022, App. D.2; the default), or "lsq", half the summed squared
// residuals of the raw loss (least squares, as Gadre et al. 2024 fit their laws).
enum class ObjectiveKind { kHuberLog, kLeastSquares };
std::string objective_kind_name(ObjectiveKind k);      // "huber-log" | "lsq"
ObjectiveKind parse_objective_kind(const std::string& s);  // InputError naming --objective

struct FitOptions {
  ObjectiveKind objective = ObjectiveKind::kHuberLog;
  double huber_delta = 1e-3;  // Huber threshold on log-loss residuals (Hoffmann et al. 2022, D.2)
  int bootstrap = 0;          // bootstrap resamples; 0 = none
  uint64_t seed = 0;          // bootstrap seed; results do not depend on `threads`
  double ci_level = 0.90;     // two-sided percentile interval, in (0, 1)
  int threads = 0;            // OpenMP threads; 0 = all available

  // Solver (solver.h states each criterion as a formula). Every grid start is solved to the
  // grid tolerances (about SciPy L-BFGS-B's defaults), then the `polish_starts` best
  // distinct endpoints are solved on to the final tolerances; bootstrap refits use the final ones.
  int max_iterations = 1000;             // L-BFGS iterations per solve
  double gradient_tolerance = 1e-9;      // final: ||g||_inf <= gtol * max(1, |f|)
  double function_tolerance = 1e-12;     // final: (f_k - f_{k+1}) <= ftol * max(1, |f_k|)
  double grid_gradient_tolerance = 1e-6; // grid phase, same formulas
  double grid_function_tolerance = 1e-9;
  int polish_starts = 4;                 // grid endpoints polished to the final tolerances
  // A start "reached the best optimum" when f <= f_best + optimum_tolerance * max(|f_best|, 1e-12).
  double optimum_tolerance = 1e-4;
  // Bootstrap refits start from the full-data optimum plus this many perturbed copies of it.
  int bootstrap_extra_starts = 2;
  // Use at most this many grid starts (evenly thinned, deterministic); 0 = the whole grid.
  int max_starts = 0;

  // Throws InputError naming the offending field, e.g. "huber_delta: must be > 0, got -1".
  void validate() const;
};

struct FitResult {
  std::string law;          // make_law name
  LawOptions law_options;
  std::string formula;
  int approach = 3;         // 1: envelope, 2: IsoFLOP, 3: parametric (Hoffmann et al. 2022)

  std::vector<std::string> names;  // parameter names, natural space
  std::vector<double> params;      // same order as names

  ObjectiveKind objective_kind = ObjectiveKind::kHuberLog;  // JSON "objective_kind"
  double objective = 0;     // the objective (summed Huber, or least squares) at the optimum (approach 3)
  int iterations = 0;       // solver iterations of the best start
  bool converged = false;   // the best start met a convergence criterion
  int starts = 0;           // starts run
  int starts_converged = 0; // starts that reached the best optimum (FitOptions::optimum_tolerance)
  std::string message;      // one line: how the best start stopped, and any warnings
  int points = 0;           // observations fitted

  // Law-specific derived quantities; chinchilla: a = beta/(alpha+beta), b = alpha/(alpha+beta),
  // G = (alpha A / (beta B))^(1/(alpha+beta)), so N_opt = G (C/6)^a, D_opt = (C/6)^b / G.
  std::map<std::string, double> derived;

  int bootstrap = 0;        // resamples drawn (0 = no uncertainty estimates)
  uint64_t seed = 0;
  double ci_level = 0.90;
  std::vector<std::vector<double>> samples;        // bootstrap draws of params, natural space
  std::map<std::string, std::array<double, 2>> ci; // params and derived quantities
  std::map<std::string, double> se;                // bootstrap standard errors, same keys

  double param(const std::string& name) const;     // InputError if the law has no such param
  Json to_json() const;
  static FitResult from_json(const Json& j);       // InputError naming the missing field
  double predict(const Observation& x) const;      // via make_law(law, law_options)
};

}  // namespace scalelab::fit
