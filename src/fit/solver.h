// defines: scalelab::fit::SolverOptions, scalelab::fit::SolverStatus,
//          scalelab::fit::SolverSummary, scalelab::fit::minimize_lbfgs
//
// A small dense L-BFGS (Nocedal 1980; Liu and Nocedal 1989) with a strong-Wolfe line
// search (Nocedal and Wright 2006, Algorithms 3.5 and 3.6), written for the fit layer's
// problems: 2 to 9 parameters, a cheap objective, thousands of independent starts. Ceres'
// GradientProblemSolver does the same job, but its per-solve setup costs more than these
// whole solves; this one allocates once per call and keeps no global state, so starts
// run in parallel threads and give the same bits whatever the thread count.
//
//   auto f = [&](std::span<const double> x, std::span<double> g) { ...; return value; };
//   std::vector<double> x = {1.0, 2.0};
//   SolverSummary s = minimize_lbfgs(f, x, SolverOptions{});
//   if (!s.converged()) fmt::print("{}\n", s.message());
//
// Stopping criteria, checked in this order after every accepted step k -> k+1:
//   gradient:  ||g_{k+1}||_inf <= gradient_tolerance * max(1, |f_{k+1}|)
//   function:  f_k - f_{k+1}  <= function_tolerance * max(1, |f_k|)
//   iterations: k + 1 >= max_iterations                       (not converged)
//   line search: no step along the L-BFGS direction nor along -g lowers f   (not converged)
#pragma once

#include <functional>
#include <span>
#include <string>

namespace scalelab::fit {

struct SolverOptions {
  int memory = 10;                    // (s, y) pairs kept
  int max_iterations = 1000;
  double gradient_tolerance = 1e-9;
  double function_tolerance = 1e-12;
  int max_line_search = 40;           // function evaluations per line search
  double wolfe_c1 = 1e-4;             // sufficient decrease
  double wolfe_c2 = 0.9;              // curvature (0.9 is the usual choice for quasi-Newton)
};

enum class SolverStatus { kGradientTolerance, kFunctionTolerance, kMaxIterations, kLineSearchFailed, kNonFinite };

struct SolverSummary {
  SolverStatus status = SolverStatus::kMaxIterations;
  double initial_cost = 0;
  double final_cost = 0;
  int iterations = 0;
  int evaluations = 0;
  bool converged() const {
    return status == SolverStatus::kGradientTolerance || status == SolverStatus::kFunctionTolerance;
  }
  std::string message() const;  // one line, e.g. "function tolerance reached after 57 iterations"
};

// f(x, g) returns the objective at x and writes its gradient into g (same size as x).
using GradientFunction = std::function<double(std::span<const double>, std::span<double>)>;

// Minimises from x (overwritten with the best point found; never a point worse than the start).
SolverSummary minimize_lbfgs(const GradientFunction& f, std::span<double> x, const SolverOptions& options);

}  // namespace scalelab::fit
