// The loss-to-error law of Gadre et al. 2024, eq. 5 (see error_law.h): least squares on the
// raw error from a grid of starts, each solved by the fit layer's L-BFGS (solver.h).
//
// Fit space theta = {epsilon, log k, gamma}; with t_i = exp(log k - gamma L_i) and
// r_i = epsilon - t_i - err_i:
//   f = 1/2 sum r_i^2,  df/depsilon = sum r_i,  df/dlog k = -sum r_i t_i,
//   df/dgamma = sum r_i t_i L_i.
#include "fit/error_law.h"

#include <fmt/format.h>

#include <cmath>

#include "core/error.h"
#include "fit/law_families.h"
#include "fit/multistart.h"
#include "fit/solver.h"

namespace scalelab::fit {

double ErrorLawFit::predict(double loss) const { return epsilon - k * std::exp(-gamma * loss); }

Json ErrorLawFit::to_json() const {
  return Json{{"formula", formula()},
              {"params", {{"epsilon", epsilon}, {"k", k}, {"gamma", gamma}}},
              {"objective", objective},
              {"points", points},
              {"starts", starts},
              {"starts_converged", starts_converged},
              {"converged", converged},
              {"message", message}};
}

ErrorLawFit fit_error_law(const Observations& rows, const FitOptions& options) {
  options.validate();
  const size_t n = rows.size();
  SL_REQUIRE(n > 3, "error law: {} rows with loss and error for 3 parameters; the fit needs more rows than "
             "parameters (select them with --error-fit-rows)", n);
  std::vector<double> L(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    L[i] = rows[i].loss;
    y[i] = rows[i].error;
    SL_REQUIRE(std::isfinite(y[i]), "error law: row {}{}: no error value (empty --error-col cell)", rows[i].row,
               rows[i].name.empty() ? "" : " (" + rows[i].name + ")");
  }
  SL_REQUIRE(detail::count_distinct(L) >= 3, "error law: degenerate design: {} rows but fewer than 3 distinct losses",
             n);

  auto f = [&](std::span<const double> t, std::span<double> g) {
    g[0] = g[1] = g[2] = 0;
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      double ti = std::exp(t[1] - t[2] * L[i]);
      double r = t[0] - ti - y[i];
      sum += 0.5 * r * r;
      g[0] += r;
      g[1] -= r * ti;
      g[2] += r * ti * L[i];
    }
    return sum;
  };
  // Errors are fractions in [0, 1]; k spans e^-4 .. e^8 and gamma 0.1 .. 3 per nat: 112 starts.
  auto grid = detail::grid_product({{0.25, 0.5, 0.75, 1.0}, {-4, -2, 0, 2, 4, 6, 8}, {0.1, 0.3, 1.0, 3.0}});
  const SolverOptions solver = solver_options(options);
  ErrorLawFit best_fit;
  double best = INFINITY;
  SolverSummary best_summary;
  std::vector<double> costs;
  std::vector<double> theta_best;
  for (const auto& start : grid) {
    std::vector<double> t = start;
    SolverSummary s = minimize_lbfgs(f, t, solver);
    double c = std::isfinite(s.final_cost) ? s.final_cost : INFINITY;
    costs.push_back(c);
    if (c < best) best = c, theta_best = t, best_summary = s;
  }
  SL_REQUIRE(std::isfinite(best), "error law: no start reached a finite objective over {} starts", grid.size());
  ErrorLawFit r;
  r.epsilon = theta_best[0];
  r.k = std::exp(theta_best[1]);
  r.gamma = theta_best[2];
  r.objective = best;
  r.points = static_cast<int>(n);
  r.starts = static_cast<int>(grid.size());
  const double tol = options.optimum_tolerance * std::max(std::fabs(best), 1e-12);
  for (double c : costs) r.starts_converged += c <= best + tol;
  r.converged = best_summary.converged();
  SL_REQUIRE(r.converged || r.starts_converged >= 2,
             "error law: the fit did not converge: the best of {} starts stopped with '{}' and no other start "
             "reached its objective", r.starts, best_summary.message());
  r.message = fmt::format("best of {} starts: {}; {} starts within {:g} (relative) of the best objective", r.starts,
                          best_summary.message(), r.starts_converged, options.optimum_tolerance);
  return r;
}

}  // namespace scalelab::fit
