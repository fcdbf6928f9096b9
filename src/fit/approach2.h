// defines: scalelab::fit::Approach2Options, IsoFlopProfile, isoflop_profiles, fit_approach2
//
// Approach 2 of Hoffmann et al. 2022 (section 3.2, Figure 3): IsoFLOP profiles. Points are
// grouped by training compute C; within each budget the loss is fitted by a parabola in
// log N, whose minimum gives N_opt(C) and D_opt(C) = C / (6 N_opt); power laws
//   N_opt(C) = G (C/6)^a,   D_opt(C) = H (C/6)^b
// go through the minima by least squares in log space (approach1.h: PowerAllocation).
//
//   Observations grid = read_observations("isoflop.csv");     // N, C (or D), loss
//   FitOptions opt;  opt.bootstrap = 200;
//   FitResult r = fit_approach2(grid, opt);                   // r.approach == 2
//
// Budgets: points whose C lie within a factor (1 + tolerance) of the smallest C of their
// group form one budget, represented by the geometric mean of its C (tolerance 0 groups
// only exactly equal C). A budget needs >= 3 distinct N and a convex parabola; budgets
// that fail are skipped and named in the message; at least 2 budgets must remain.
// Uncertainty: bootstrap within each budget (residuals by default, or points), seeded and
// independent of the thread count.
#pragma once

#include <string>
#include <vector>

#include "fit/fit_result.h"
#include "fit/observations.h"

namespace scalelab::fit {

struct Approach2Options {
  double tolerance = 0.25;  // relative width of a budget bin; >= 0
  // Bootstrap scheme: false = residual bootstrap within each budget (sizes kept, parabola
  // residuals resampled); true = resample points within each budget (approach2.cpp says
  // why the residual scheme is the default).
  bool resample_points = false;
};

struct IsoFlopProfile {
  double C = 0;        // budget, FLOPs (geometric mean over the group)
  int points = 0;      // points in the group
  bool usable = false; // a convex parabola over >= 3 distinct N
  double N_opt = 0, D_opt = 0, loss_min = 0;
  double c0 = 0, c1 = 0, c2 = 0;  // loss = c0 + c1 log N + c2 (log N)^2
  bool inside = false;            // N_opt within the group's range of N
};

// Profiles sorted by C, usable or not.
std::vector<IsoFlopProfile> isoflop_profiles(const Observations& obs, const Approach2Options& opt = {});

FitResult fit_approach2(const Observations& obs, const FitOptions& fit, const Approach2Options& opt = {});

}  // namespace scalelab::fit
