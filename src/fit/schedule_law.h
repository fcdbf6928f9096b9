// defines: scalelab::fit::ScheduleCurve, CurveColumns, read_schedule_curves,
//          AnnealingOptions, AnnealingFit, annealing_areas, fit_annealing_law,
//          predict_annealing_curve
//
// A law of the whole training curve under any learning-rate schedule: the annealing law of
// Tissue et al. 2024 ("Scaling Law with Learning Rate Annealing", arXiv:2408.11029), with
// the annealing area in their momentum form:
//   L(s) = L0 + A * S1(s)^(-alpha) - C * S2(s)
//   S1(s) = sum_{i<=s} eta_i                              forward area
//   S2(s) = sum_{i<=s} m_i,  m_i = lambda m_{i-1} + (eta_{i-1} - eta_i)   annealing area
// with eta_i the learning rate of step i (eta_0 = eta_1) and lambda = 0.999 (theirs). Fitted
// on the logged curves of one or more runs of one model (the learning rate of each step
// and the loss at logged steps), it predicts the curve of that model under a schedule it
// never trained: another shape, cooldown or length.
//
// The law is linear in (L0, A, C) at a fixed alpha, so the fit profiles alpha (a log grid,
// then golden-section refinement) and solves the three by least squares, with L0 >= 0: no
// start grid, no local minima in the linear part.
//
//   std::vector<ScheduleCurve> runs = read_schedule_curves("curves.csv", {});
//   AnnealingFit f = fit_annealing_law(runs, {});
//   std::vector<double> loss = predict_annealing_curve(f, lr_of_every_step);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"

namespace scalelab::fit {

// One run: its learning rate at every step 1..S (lr[s - 1]) and its loss at logged steps.
struct ScheduleCurve {
  std::string run;
  std::vector<double> lr;
  std::vector<int64_t> steps;  // ascending, in [1, S]
  std::vector<double> loss;
};

struct CurveColumns {
  std::string run = "run", step = "step", lr = "lr", loss = "loss";
};

// Rows (run, step, lr, loss) of a CSV or JSON-lines file, e.g. a trainer's metrics.jsonl
// (run column optional: one run). Rows with a learning rate give the schedule, linearly
// interpolated between logged steps (from 0 at step 0); rows with a loss give the points.
// InputError naming the file, line and column for a missing column or a bad value.
std::vector<ScheduleCurve> read_schedule_curves(const std::filesystem::path& path, const CurveColumns& cols);

struct AnnealingOptions {
  // Decay of the annealing momentum (Tissue et al. 2024: 0.999 for long runs); 0 fits it on
  // a grid from 0.9 to 0.999 (memories of 10 to 1000 steps), which short runs need.
  double lambda = 0.999;
  double skip_fraction = 0.05;  // leave out each curve's first steps (warm-up, the initial drop)
};

struct AnnealingFit {
  double L0 = 0, A = 0, alpha = 0, C = 0;
  double lambda = 0.999;
  int points = 0;
  double rmse = 0;  // root mean square residual of the loss (nats)
  std::vector<std::string> runs;

  // Whether alpha ended at an end of the search range (1e-3, 5): the curves did not
  // determine it, and the other parameters compensate.
  bool at_search_edge() const;
  Json to_json() const;  // {"law": "annealing", "params": {...}, "lambda", "points", "rmse", "runs"}
  // InputError naming `source` when the JSON is not an annealing-law fit.
  static AnnealingFit from_json(const Json& j, const std::string& source);
};

// S1 and S2 at every step 1..S of a schedule.
void annealing_areas(const std::vector<double>& lr, double lambda, std::vector<double>& s1, std::vector<double>& s2);

// InputError when the curves hold fewer than 4 points after skipping, or the law cannot
// be fitted (every point at one forward area).
AnnealingFit fit_annealing_law(const std::vector<ScheduleCurve>& curves, const AnnealingOptions& options);

// The predicted loss at every step 1..S of a schedule.
std::vector<double> predict_annealing_curve(const AnnealingFit& fit, const std::vector<double>& lr);

}  // namespace scalelab::fit
