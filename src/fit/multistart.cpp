// Parallel multi-start L-BFGS; deterministic for any thread count (see multistart.h).
#include "fit/multistart.h"

#include "core/error.h"
#include "fit/objective.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace scalelab::fit {

SolverOptions solver_options(const FitOptions& o, bool grid_phase) {
  SolverOptions s;
  s.max_iterations = o.max_iterations;
  s.gradient_tolerance = grid_phase ? o.grid_gradient_tolerance : o.gradient_tolerance;
  s.function_tolerance = grid_phase ? o.grid_function_tolerance : o.function_tolerance;
  return s;
}

StartOutcome solve_from(const Law& law, const Points& pts, std::span<const double> weights,
                        std::span<const double> theta, const FitOptions& options,
                        const SolverOptions& solver) {
  StartOutcome out;
  out.theta.assign(theta.begin(), theta.end());
  const double delta = options.huber_delta;
  const bool lsq = options.objective == ObjectiveKind::kLeastSquares;
  auto fn = [&](std::span<const double> t, std::span<double> g) {
    return lsq ? least_squares_objective(law, t, pts, weights, g) : law.objective(t, pts, weights, delta, g);
  };
  out.summary = minimize_lbfgs(fn, out.theta, solver);
  out.cost = std::isfinite(out.summary.final_cost) ? out.summary.final_cost : INFINITY;
  return out;
}

MultiStartResult run_multistart(const Law& law, const Points& pts, std::span<const double> weights,
                                const std::vector<std::vector<double>>& starts,
                                const FitOptions& options) {
  SL_ASSERT(!starts.empty());
  MultiStartResult res;
  const int n = static_cast<int>(starts.size());
  res.outcomes.resize(n);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const SolverOptions grid = solver_options(options, true), final = solver_options(options, false);
  // Dynamic scheduling: starts far from the optimum take many more iterations than others.
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (int s = 0; s < n; ++s) res.outcomes[s] = solve_from(law, pts, weights, starts[s], options, grid);

  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return res.outcomes[a].cost < res.outcomes[b].cost; });
  const int polish = std::min(n, options.polish_starts);
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::min(threads, polish))
  for (int k = 0; k < polish; ++k) {
    StartOutcome& o = res.outcomes[order[k]];
    if (!std::isfinite(o.cost)) continue;
    StartOutcome p = solve_from(law, pts, weights, o.theta, options, final);
    p.summary.initial_cost = o.summary.initial_cost;  // report the whole path of this start
    p.summary.iterations += o.summary.iterations;
    p.summary.evaluations += o.summary.evaluations;
    o = std::move(p);
  }
  res.best = static_cast<size_t>(order[0]);
  for (int k = 1; k < polish; ++k)
    if (res.outcomes[order[k]].cost < res.outcomes[res.best].cost ||
        (res.outcomes[order[k]].cost == res.outcomes[res.best].cost && static_cast<size_t>(order[k]) < res.best))
      res.best = static_cast<size_t>(order[k]);
  const double best = res.outcomes[res.best].cost;
  const double tol = options.optimum_tolerance * std::max(std::fabs(best), 1e-12);
  for (const auto& o : res.outcomes)
    if (o.cost <= best + tol) ++res.reached_best;
  return res;
}

}  // namespace scalelab::fit
