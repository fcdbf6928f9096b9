// Approach 3: multi-start parametric fit with optional bootstrap (see approach3.h).
#include "fit/approach3.h"

#include "core/error.h"
#include "fit/bootstrap.h"
#include "fit/multistart.h"

#include <fmt/format.h>

#include <cmath>

namespace scalelab::fit {
namespace {

// Every k-th start of the grid, k = ceil(size / max), so a thinned grid still spans it.
std::vector<std::vector<double>> thin(std::vector<std::vector<double>> grid, int max_starts) {
  if (max_starts <= 0 || static_cast<int>(grid.size()) <= max_starts) return grid;
  size_t k = (grid.size() + max_starts - 1) / max_starts;
  std::vector<std::vector<double>> out;
  for (size_t i = 0; i < grid.size(); i += k) out.push_back(std::move(grid[i]));
  return out;
}

}  // namespace

FitResult fit_parametric(const Law& law, const Observations& obs, const FitOptions& options) {
  options.validate();
  Points pts = Points::from(obs);
  law.check_design(pts);

  auto grid = thin(law.start_grid(pts), options.max_starts);
  std::vector<double> ones(pts.size(), 1.0);
  MultiStartResult ms = run_multistart(law, pts, ones, grid, options);
  const StartOutcome& best = ms.outcomes[ms.best];

  FitResult r;
  r.law = law.name();
  r.law_options = law.options();
  r.formula = law.formula();
  r.approach = 3;
  r.names = law.param_names();
  r.params.resize(r.names.size());
  law.to_natural(best.theta, r.params);
  r.objective_kind = options.objective;
  r.objective = best.cost;
  r.iterations = best.summary.iterations;
  r.converged = best.summary.converged();
  r.starts = static_cast<int>(grid.size());
  r.starts_converged = ms.reached_best;
  r.points = static_cast<int>(pts.size());

  bool finite = std::isfinite(best.cost);
  for (double v : r.params) finite = finite && std::isfinite(v);
  SL_REQUIRE(finite, "{}: no start reached a finite objective over {} starts; check the data's units "
             "(loss in nats, N and D as counts)", r.law, r.starts);
  // A best start that stopped on a line-search failure or the iteration limit is accepted
  // only when another start agrees with it (then the optimum is reproducible, which is what
  // the criterion protects); Huber's kinks can defeat the Wolfe conditions at the optimum.
  SL_REQUIRE(r.converged || ms.reached_best >= 2,
             "{}: the fit did not converge: the best of {} starts stopped with '{}' and no other start "
             "reached its objective; the data may not determine this law (try more points, or "
             "a simpler law)", r.law, r.starts, best.summary.message());
  r.message = fmt::format("best of {} starts: {}; {} starts within {:g} (relative) of the best objective",
                          r.starts, best.summary.message(), ms.reached_best, options.optimum_tolerance);
  r.derived = law.derived(r.params);

  r.bootstrap = 0;
  r.seed = options.seed;
  r.ci_level = options.ci_level;
  if (options.bootstrap > 0) bootstrap_refit(law, pts, options, r);
  return r;
}

}  // namespace scalelab::fit
