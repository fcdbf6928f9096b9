// defines: scalelab::fit::PowerAllocation, Approach1Options, EnvelopePoint,
//          training_envelope, fit_approach1, allocation_fit_result
//
// Approach 1 of Hoffmann et al. 2022 (section 3.1, Figure 2): from whole training curves,
// for each of a log-spaced grid of compute budgets take the lowest loss over all runs (the
// envelope), read off which model size N and token count D reached it, and fit power laws
//   N_opt(C) = G (C/6)^a,   D_opt(C) = H (C/6)^b
// by least squares in log space. With C = 6 N D exactly, a + b = 1 and G H = 1.
//
//   Observations curves = read_observations("runs.csv");   // columns N, D or C, loss, run
//   FitOptions opt;  opt.bootstrap = 200;  opt.seed = 1;
//   FitResult r = fit_approach1(curves, opt);
//   // r.approach == 1, r.names == {G, a, H, b}; r.derived["tokens_per_param_1e21"]
//
// Uncertainty: bootstrap over runs (whole curves resampled with replacement), seeded and
// independent of the thread count.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "core/training_compute.h"
#include "fit/fit_result.h"
#include "fit/observations.h"

namespace scalelab::fit {

// N_opt = G (C/6)^a, D_opt = H (C/6)^b (C in FLOPs). `points` is the number of (C, N, D)
// optima the power laws went through (envelope grid points or IsoFLOP minima).
struct PowerAllocation {
  double G = 0, a = 0, H = 0, b = 0;
  int points = 0;
  double rms_log_N = 0, rms_log_D = 0;  // RMS residuals of the two log-log fits
};

struct Approach1Options {
  int grid = 1500;  // log-spaced budgets (Hoffmann et al. 2022 use 1,500)
  // Budget range of the grid; 0 = the range where at least `min_cover` runs have points.
  // Near the ends of the data the envelope is pinned to the smallest/largest model, which
  // biases the exponents; requiring two covering runs trims the worst of it.
  double C_min = 0, C_max = 0;
  int min_cover = 2;
  // Drop envelope points won by the smallest or the largest model of the ladder (when it
  // has >= 3 sizes): their own optimum may lie outside the ladder, so "lowest loss" there
  // says only "the biggest we have", which flattens the fitted exponent.
  bool trim_extremes = true;
};

struct EnvelopePoint {
  double C = 0, N = 0, D = 0, loss = 0;
  int run = 0;  // index of the winning run among those with >= 2 points, in order of first appearance
};

// The envelope on the grid. Points are grouped into runs by Observation::run; each run
// must have one N and at least two points. InputError when there are no runs, or when the
// envelope holds a single model size (no exponent can be fitted).
std::vector<EnvelopePoint> training_envelope(const Observations& obs, const Approach1Options& opt = {});

FitResult fit_approach1(const Observations& obs, const FitOptions& fit, const Approach1Options& opt = {});

// Shared with approach 2: packs a point estimate and its bootstrap draws (failed draws
// already removed) into a FitResult with names {G, a, H, b}, derived a, b and tokens per
// parameter at 1e21, 1e23 and 1e25 FLOPs, percentile CIs and standard errors.
FitResult allocation_fit_result(int approach, const PowerAllocation& best, const std::vector<PowerAllocation>& draws,
                                int requested_draws, const FitOptions& fit, int n_observations, std::string message);

// D_opt / N_opt at budget C (FLOPs).
inline double tokens_per_param(const PowerAllocation& p, double C) {
  return (p.H / p.G) * std::pow(C / kFlopsPerParamToken, p.b - p.a);
}

}  // namespace scalelab::fit
