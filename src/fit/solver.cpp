// L-BFGS with a strong-Wolfe line search; see solver.h for the stopping criteria.
#include "fit/solver.h"

#include "core/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace scalelab::fit {
namespace {

double dot(std::span<const double> a, std::span<const double> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double inf_norm(std::span<const double> a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

// Minimiser of the cubic through (t0, f0, d0) and (t1, f1, d1) (Nocedal and Wright 2006,
// eq. 3.59), or NaN when the cubic has no interior minimum.
double cubic_min(double t0, double f0, double d0, double t1, double f1, double d1) {
  double e1 = d0 + d1 - 3 * (f0 - f1) / (t0 - t1);
  double disc = e1 * e1 - d0 * d1;
  if (!(disc >= 0)) return std::nan("");
  double e2 = std::copysign(std::sqrt(disc), t1 - t0);
  double den = d1 - d0 + 2 * e2;
  if (den == 0) return std::nan("");
  return t1 - (t1 - t0) * (d1 + e2 - e1) / den;
}

struct Trial {
  double t = 0, f = 0, d = 0;  // step, phi(t) = f(x + t p), phi'(t) = g(x + t p) . p
};

// Strong-Wolfe line search along p from x (value f0, slope d0 < 0). On success xt, gt hold
// the accepted point and its gradient and the accepted Trial is returned with ok = true.
// On failure the best sufficient-decrease point seen, if any, is returned with ok = false.
struct LineSearch {
  const GradientFunction& fn;
  const SolverOptions& opt;
  std::span<const double> x, p;
  std::vector<double>& xt;
  std::vector<double>& gt;
  int& evals;
  // Best point seen with f < f0 (for the failure path).
  std::vector<double> best_x, best_g;
  double best_f = INFINITY;

  Trial eval(double t) {
    for (size_t i = 0; i < x.size(); ++i) xt[i] = x[i] + t * p[i];
    double f = fn(xt, gt);
    ++evals;
    Trial tr{t, f, dot(gt, p)};
    if (std::isfinite(f) && f < best_f) {
      best_f = f;
      best_x = xt;
      best_g = gt;
    }
    return tr;
  }

  // Returns true on a strong-Wolfe point (left in xt, gt, with value *f_out).
  bool run(double f0, double d0, double t_init, double* f_out) {
    const double c1 = opt.wolfe_c1, c2 = opt.wolfe_c2;
    Trial prev{0, f0, d0};
    double t = t_init;
    int budget = opt.max_line_search;
    // Bracketing phase (Algorithm 3.5).
    while (budget-- > 0) {
      Trial cur = eval(t);
      if (!std::isfinite(cur.f) || !std::isfinite(cur.d)) {  // stepped out of the domain
        t = prev.t + 0.25 * (t - prev.t);
        continue;
      }
      if (cur.f > f0 + c1 * cur.t * d0 || (prev.t > 0 && cur.f >= prev.f))
        return zoom(prev, cur, f0, d0, budget, f_out);
      if (std::fabs(cur.d) <= -c2 * d0) {
        *f_out = cur.f;
        return true;
      }
      if (cur.d >= 0) return zoom(cur, prev, f0, d0, budget, f_out);
      prev = cur;
      t = 4 * t;
    }
    return false;
  }

  // Algorithm 3.6: lo satisfies sufficient decrease and has the lower value; the
  // minimiser lies between lo and hi.
  bool zoom(Trial lo, Trial hi, double f0, double d0, int& budget, double* f_out) {
    const double c1 = opt.wolfe_c1, c2 = opt.wolfe_c2;
    while (budget-- > 0) {
      double a = std::min(lo.t, hi.t), b = std::max(lo.t, hi.t), w = b - a;
      if (w <= 1e-14 * std::max(1.0, b)) return false;
      double t = cubic_min(lo.t, lo.f, lo.d, hi.t, hi.f, hi.d);
      if (!std::isfinite(t) || t < a + 0.1 * w || t > b - 0.1 * w) t = 0.5 * (a + b);
      Trial cur = eval(t);
      if (!std::isfinite(cur.f) || cur.f > f0 + c1 * t * d0 || cur.f >= lo.f) {
        hi = cur;
        if (!std::isfinite(hi.f)) hi.f = INFINITY, hi.d = 0;
        continue;
      }
      if (std::fabs(cur.d) <= -c2 * d0) {
        *f_out = cur.f;
        return true;
      }
      if (cur.d * (hi.t - lo.t) >= 0) hi = lo;
      lo = cur;
    }
    return false;
  }
};

}  // namespace

std::string SolverSummary::message() const {
  const char* why = "";
  switch (status) {
    case SolverStatus::kGradientTolerance: why = "gradient tolerance reached"; break;
    case SolverStatus::kFunctionTolerance: why = "function tolerance reached"; break;
    case SolverStatus::kMaxIterations: why = "iteration limit reached"; break;
    case SolverStatus::kLineSearchFailed: why = "line search found no lower point"; break;
    case SolverStatus::kNonFinite: why = "objective not finite at the start"; break;
  }
  return fmt::format("{} after {} iterations ({} evaluations), cost {:.6g} -> {:.6g}", why,
                     iterations, evaluations, initial_cost, final_cost);
}

SolverSummary minimize_lbfgs(const GradientFunction& fn, std::span<double> x, const SolverOptions& opt) {
  const size_t n = x.size();
  const int m = std::max(1, opt.memory);
  SolverSummary sum;
  std::vector<double> g(n), d(n), xt(n), gt(n), q(n), alpha(m), rho(m);
  std::vector<std::vector<double>> S(m, std::vector<double>(n)), Y(m, std::vector<double>(n));
  int stored = 0, head = 0;  // ring buffer of the last `stored` pairs; head = next slot

  double f = fn(x, g);
  sum.evaluations = 1;
  sum.initial_cost = sum.final_cost = f;
  if (!std::isfinite(f) || !std::isfinite(inf_norm(g))) {
    sum.status = SolverStatus::kNonFinite;
    return sum;
  }
  bool steepest_retry = false;
  for (int k = 0;; ++k) {
    if (inf_norm(g) <= opt.gradient_tolerance * std::max(1.0, std::fabs(f))) {
      sum.status = SolverStatus::kGradientTolerance;
      break;
    }
    if (k >= opt.max_iterations) {
      sum.status = SolverStatus::kMaxIterations;
      break;
    }
    // Two-loop recursion: d = -H g with H0 = (s'y / y'y) I from the newest pair.
    for (size_t i = 0; i < n; ++i) q[i] = g[i];
    for (int j = 0; j < stored; ++j) {
      int slot = (head - 1 - j + m) % m;
      alpha[slot] = rho[slot] * dot(S[slot], q);
      for (size_t i = 0; i < n; ++i) q[i] -= alpha[slot] * Y[slot][i];
    }
    double gamma = 1.0;
    if (stored > 0) {
      int newest = (head - 1 + m) % m;
      gamma = dot(S[newest], Y[newest]) / dot(Y[newest], Y[newest]);
    }
    for (size_t i = 0; i < n; ++i) q[i] *= gamma;
    for (int j = stored - 1; j >= 0; --j) {
      int slot = (head - 1 - j + m) % m;
      double beta = rho[slot] * dot(Y[slot], q);
      for (size_t i = 0; i < n; ++i) q[i] += S[slot][i] * (alpha[slot] - beta);
    }
    for (size_t i = 0; i < n; ++i) d[i] = -q[i];
    double d0 = dot(g, d);
    if (!(d0 < 0)) {  // not a descent direction: drop the memory, go downhill
      stored = 0;
      for (size_t i = 0; i < n; ++i) d[i] = -g[i];
      d0 = dot(g, d);
    }
    // First step (and after a reset) of length <= 1 in the inf-norm, as the scale of H is unknown.
    double t_init = stored > 0 ? 1.0 : std::min(1.0, 1.0 / inf_norm(d));

    LineSearch ls{fn, opt, std::span<const double>(x.data(), n), d, xt, gt, sum.evaluations, {}, {}, INFINITY};
    double f_new = 0;
    bool ok = ls.run(f, d0, t_init, &f_new);
    if (!ok) {
      if (ls.best_f < f) {  // a decrease without the curvature condition: take it, keep no pair
        f_new = ls.best_f;
        xt = ls.best_x;
        gt = ls.best_g;
      } else if (stored > 0 && !steepest_retry) {  // retry once along -g with fresh memory
        stored = 0;
        steepest_retry = true;
        --k;
        continue;
      } else {
        sum.status = SolverStatus::kLineSearchFailed;
        break;
      }
    }
    steepest_retry = false;
    // Store the pair when s'y > 0 (guaranteed by strong Wolfe; checked for the fallback step).
    double sy = 0, yy = 0;
    for (size_t i = 0; i < n; ++i) {
      S[head][i] = xt[i] - x[i];
      Y[head][i] = gt[i] - g[i];
    }
    sy = dot(S[head], Y[head]);
    yy = dot(Y[head], Y[head]);
    if (sy > 1e-16 * yy && yy > 0) {
      rho[head] = 1.0 / sy;
      head = (head + 1) % m;
      stored = std::min(stored + 1, m);
    }
    double f_old = f;
    for (size_t i = 0; i < n; ++i) x[i] = xt[i], g[i] = gt[i];
    f = f_new;
    sum.iterations = k + 1;
    sum.final_cost = f;
    if (f_old - f <= opt.function_tolerance * std::max(1.0, std::fabs(f_old))) {
      sum.status = SolverStatus::kFunctionTolerance;
      break;
    }
  }
  sum.final_cost = f;
  return sum;
}

}  // namespace scalelab::fit
