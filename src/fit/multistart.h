// defines: scalelab::fit::StartOutcome, scalelab::fit::MultiStartResult,
//          scalelab::fit::solve_from, scalelab::fit::run_multistart
//
// Runs L-BFGS (solver.h) on a law's summed Huber objective from many starts in parallel
// (OpenMP) and keeps the best. Each start is solved by one thread from its own start
// point with no shared state, and the best is chosen by (objective, start index), so the
// result is the same bits for any thread count.
//
//   auto grid = law.start_grid(pts);
//   std::vector<double> w(pts.size(), 1.0);
//   MultiStartResult ms = run_multistart(law, pts, w, grid, options);
//   const StartOutcome& best = ms.outcomes[ms.best];     // best.theta is in fit space
#pragma once

#include "fit/fit_result.h"
#include "fit/law.h"
#include "fit/solver.h"

#include <span>
#include <vector>

namespace scalelab::fit {

struct StartOutcome {
  std::vector<double> theta;  // fit-space optimum from this start
  double cost = INFINITY;     // summed Huber objective there (INFINITY if never finite)
  SolverSummary summary;
};

struct MultiStartResult {
  std::vector<StartOutcome> outcomes;  // one per start, in grid order
  size_t best = 0;                     // index of the lowest cost (lowest index on ties)
  int reached_best = 0;                // starts with cost <= best + tol * max(|best|, 1e-12)
};

// Solver settings from FitOptions: the final tolerances, or the looser grid-phase ones.
SolverOptions solver_options(const FitOptions& options, bool grid_phase = false);

// One L-BFGS solve of the weighted objective from theta (FitOptions::huber_delta).
StartOutcome solve_from(const Law& law, const Points& pts, std::span<const double> weights,
                        std::span<const double> theta, const FitOptions& options,
                        const SolverOptions& solver);

// All starts, in parallel over options.threads (0 = all) threads, to the grid tolerances;
// then the options.polish_starts lowest endpoints (by cost, then index) are solved on to the
// final tolerances, and the best of those is the optimum. reached_best counts every start
// whose endpoint is within options.optimum_tolerance (relative) of that optimum.
MultiStartResult run_multistart(const Law& law, const Points& pts, std::span<const double> weights,
                                const std::vector<std::vector<double>>& starts,
                                const FitOptions& options);

}  // namespace scalelab::fit
