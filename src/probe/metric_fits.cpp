// Metric-vs-scale fits (metric_fits.h): sigmoid in log10 x and a one-break BNSL, each by
// variable projection (closed-form linear parameters) plus multistart L-BFGS.
#include "probe/metric_fits.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "fit/solver.h"

namespace scalelab::probe {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The data, checked, with y standardised (ys = (y - mean) / sd) so that the solver's
// absolute tolerances mean the same for a metric in [0, 1] and a loglik of -40.
struct Data {
  std::vector<double> t;   // the fit's variable: log10 x (sigmoid) or ln(x / xref) (BNSL)
  std::vector<double> ys;  // standardised y
  double mean = 0, sd = 0;
};

// Fills `d`, or returns why the data cannot be fitted.
std::string prepare(std::span<const double> x, std::span<const double> y, size_t min_points,
                    size_t min_distinct, Data& d) {
  if (x.size() != y.size())
    return fmt::format("x has {} values but y has {}", x.size(), y.size());
  if (x.size() < min_points)
    return fmt::format("too few points: {} (expected >= {})", x.size(), min_points);
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(std::isfinite(x[i]) && x[i] > 0))
      return fmt::format("x[{}] = {} (expected a finite scale > 0)", i, x[i]);
    if (!std::isfinite(y[i])) return fmt::format("y[{}] = {} (expected a finite value)", i, y[i]);
  }
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t distinct = std::unique(sorted.begin(), sorted.end()) - sorted.begin();
  if (distinct < min_distinct)
    return fmt::format("too few distinct x: {} (expected >= {})", distinct, min_distinct);
  const double n = static_cast<double>(y.size());
  for (double v : y) d.mean += v / n;
  double ss = 0;
  for (double v : y) ss += (v - d.mean) * (v - d.mean);
  d.sd = std::sqrt(ss / n);
  if (!(d.sd > 1e-12 * std::max(1.0, std::fabs(d.mean))))
    return fmt::format("y is constant ({}): there is no change with scale to fit", y[0]);
  d.ys.resize(y.size());
  for (size_t i = 0; i < y.size(); ++i) d.ys[i] = (y[i] - d.mean) / d.sd;
  return "";
}

// Least squares ys ~ a + b g in closed form; writes residuals r = ys - a - b g and returns
// the RSS. A g with (numerically) no spread determines no b: b = 0.
double project(std::span<const double> g, std::span<const double> ys, std::vector<double>& r,
               double& a, double& b) {
  const size_t n = g.size();
  double gm = 0, ym = 0;
  for (size_t i = 0; i < n; ++i) gm += g[i], ym += ys[i];
  gm /= n, ym /= n;
  double sgg = 0, sgy = 0;
  for (size_t i = 0; i < n; ++i) sgg += (g[i] - gm) * (g[i] - gm), sgy += (g[i] - gm) * (ys[i] - ym);
  b = sgg > 1e-24 * n ? sgy / sgg : 0.0;
  a = ym - b * gm;
  r.resize(n);
  double rss = 0;
  for (size_t i = 0; i < n; ++i) {
    r[i] = ys[i] - a - b * g[i];
    rss += r[i] * r[i];
  }
  return rss;
}

double logistic(double z) {
  return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}
double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))); }

fit::SolverOptions solver_options() {
  fit::SolverOptions o;
  o.max_iterations = 500;
  o.gradient_tolerance = 1e-11;
  o.function_tolerance = 1e-15;
  return o;
}

// Runs L-BFGS from every start; returns the best end point (lowest cost, then lowest
// index) and its summary.
std::vector<double> best_of(const fit::GradientFunction& f,
                            const std::vector<std::vector<double>>& starts,
                            fit::SolverSummary& best_summary, double& best_cost) {
  best_cost = INFINITY;
  std::vector<double> best;
  for (const auto& s : starts) {
    std::vector<double> th = s;
    const fit::SolverSummary sum = fit::minimize_lbfgs(f, th, solver_options());
    if (std::isfinite(sum.final_cost) && sum.final_cost < best_cost) {
      best_cost = sum.final_cost;
      best = th;
      best_summary = sum;
    }
  }
  return best;
}

// rss and r2 of `fit` on the original data, via predict().
void finish(CurveFit& fit, std::span<const double> x, std::span<const double> y, size_t starts,
            const fit::SolverSummary& s) {
  double mean = 0, sst = 0, rss = 0;
  for (double v : y) mean += v / static_cast<double>(y.size());
  fit.ok = true;  // predict() needs it
  for (size_t i = 0; i < y.size(); ++i) {
    const double e = y[i] - predict(fit, x[i]);
    rss += e * e;
    sst += (y[i] - mean) * (y[i] - mean);
  }
  fit.rss = rss;
  fit.r2 = 1 - rss / sst;
  fit.ok = std::isfinite(rss);
  fit.message = fmt::format("best of {} starts: {}", starts, s.message());
}

}  // namespace

CurveFit fit_sigmoid(std::span<const double> x, std::span<const double> y) {
  CurveFit out;
  out.model = "sigmoid";
  out.names = {"lo", "hi", "x0", "w"};
  Data d;
  if (std::string why = prepare(x, y, 4, 2, d); !why.empty()) {
    out.message = "sigmoid: " + why;
    return out;
  }
  for (double v : x) d.t.push_back(std::log10(v));
  const auto [tmin_it, tmax_it] = std::minmax_element(d.t.begin(), d.t.end());
  const double tmin = *tmin_it, tmax = *tmax_it, span = tmax - tmin;
  // Search space: x0 = c + span tanh(u), in (tmin - span/2, tmax + span/2);
  // w = wmax logistic(v), in (0, wmax).
  const double c = 0.5 * (tmin + tmax), wmax = 2 * span;
  auto natural = [&](std::span<const double> th, double& x0, double& w) {
    x0 = c + span * std::tanh(th[0]);
    w = wmax * logistic(th[1]);
  };

  std::vector<double> s(d.t.size()), r;
  auto f = [&](std::span<const double> th, std::span<double> g) -> double {
    double x0, w;
    natural(th, x0, w);
    for (size_t i = 0; i < s.size(); ++i) s[i] = logistic((d.t[i] - x0) / w);
    double a, b;
    const double rss = project(s, d.ys, r, a, b);
    // Envelope theorem: at the optimal (a, b), dRSS/dtheta = -2 b sum r_i ds_i/dtheta, with
    // ds/dx0 = -s(1-s)/w and ds/dw = -s(1-s) z/w, z = (t - x0)/w.
    double gx0 = 0, gw = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const double q = r[i] * s[i] * (1 - s[i]);
      gx0 += q;
      gw += q * (d.t[i] - x0) / w;
    }
    gx0 *= 2 * b / w;
    gw *= 2 * b / w;
    const double th0 = std::tanh(th[0]);
    g[0] = gx0 * span * (1 - th0 * th0);
    g[1] = gw * w * (1 - w / wmax);
    return rss;
  };

  // Starts: midpoints between neighbouring distinct x (where a step may sit) and three
  // interior points, each with widths from a sharp 2% to a whole span.
  std::vector<double> ts = d.t;
  std::sort(ts.begin(), ts.end());
  ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
  std::vector<double> x0s = {tmin + 0.1 * span, c, tmax - 0.1 * span};
  for (size_t i = 0; i + 1 < ts.size(); ++i) x0s.push_back(0.5 * (ts[i] + ts[i + 1]));
  std::vector<std::vector<double>> starts;
  for (double x0 : x0s)
    for (double wf : {0.02, 0.1, 0.3, 1.0}) {
      const double w = wf * span;
      starts.push_back({std::atanh((x0 - c) / span), std::log(w / (wmax - w))});
    }
  fit::SolverSummary sum;
  double cost;
  const std::vector<double> th = best_of(f, starts, sum, cost);
  if (th.empty()) {
    out.message = "sigmoid: no start gave a finite residual sum of squares";
    return out;
  }
  double x0, w, a, b;
  natural(th, x0, w);
  for (size_t i = 0; i < s.size(); ++i) s[i] = logistic((d.t[i] - x0) / w);
  project(s, d.ys, r, a, b);
  const double lo = d.mean + d.sd * a;
  out.params = {lo, lo + d.sd * b, x0, w};
  finish(out, x, y, starts.size(), sum);
  return out;
}

CurveFit fit_bnsl(std::span<const double> x, std::span<const double> y) {
  CurveFit out;
  out.model = "bnsl";
  out.names = {"a", "b", "c0", "c1", "d", "f"};
  Data d;
  if (std::string why = prepare(x, y, 6, 6, d); !why.empty()) {
    out.message = "bnsl: " + why;
    return out;
  }
  // Work in lx = ln(x / xref), xref the geometric mean of x, so that b and d stay near 1
  // whatever the units of x (FLOPs of 1e20 included).
  double lref = 0;
  for (double v : x) lref += std::log(v) / static_cast<double>(x.size());
  for (double v : x) d.t.push_back(std::log(v) - lref);

  // theta = (c0, c1, ld = ln(d / xref), lf = ln f). log g = -c0 lx - c1 f softplus(z),
  // z = (lx - ld) / f; g is used divided by its largest value (M = max log g), which the
  // linear b absorbs, so that g never overflows.
  const size_t n = d.t.size();
  std::vector<double> lg(n), g(n), r;
  auto eval_g = [&](std::span<const double> th) -> double {
    const double f = std::exp(th[3]);
    double M = -INFINITY;
    for (size_t i = 0; i < n; ++i) {
      lg[i] = -th[0] * d.t[i] - th[1] * f * softplus((d.t[i] - th[2]) / f);
      M = std::max(M, lg[i]);
    }
    for (size_t i = 0; i < n; ++i) g[i] = std::exp(lg[i] - M);
    return M;
  };
  auto obj = [&](std::span<const double> th, std::span<double> grad) -> double {
    if (!std::isfinite(eval_g(th))) return INFINITY;
    double a, b;
    const double rss = project(g, d.ys, r, a, b);
    // dRSS/dtheta = -2 b sum r_i g_i dlog g_i/dtheta (envelope theorem; the normalisation
    // by M drops out because r is orthogonal to g). With sp = softplus(z), sg = logistic(z):
    // dlog g/dc0 = -lx, /dc1 = -f sp, /dld = c1 sg, /dlf = -c1 f (sp - z sg)
    // (as in fit/laws_bnsl.cpp).
    const double c1 = th[1], f = std::exp(th[3]);
    std::fill(grad.begin(), grad.end(), 0.0);
    for (size_t i = 0; i < n; ++i) {
      const double z = (d.t[i] - th[2]) / f, sp = softplus(z), sg = logistic(z);
      const double q = -2 * b * r[i] * g[i];
      grad[0] += q * -d.t[i];
      grad[1] += q * -f * sp;
      grad[2] += q * c1 * sg;
      grad[3] += q * -c1 * f * (sp - z * sg);
    }
    return rss;
  };

  std::vector<double> ts = d.t;
  std::sort(ts.begin(), ts.end());
  auto q = [&](double p) { return ts[static_cast<size_t>(p * (ts.size() - 1))]; };
  std::vector<std::vector<double>> starts;
  for (double c0 : {0.0, 0.3, 1.0})
    for (double c1 : {0.0, 0.5, 2.0})
      for (double ld : {q(0.2), q(0.5), q(0.8)})
        for (double f : {0.1, 0.5, 2.0}) starts.push_back({c0, c1, ld, std::log(f)});
  fit::SolverSummary sum;
  double cost;
  const std::vector<double> th = best_of(obj, starts, sum, cost);
  if (th.empty()) {
    out.message = "bnsl: no start gave a finite residual sum of squares";
    return out;
  }
  const double M = eval_g(th);
  double a, b;
  project(g, d.ys, r, a, b);
  // y = mean + sd (a + b exp(log g - M)); log g = -c0 ln x + c0 lref - c1 f softplus(...).
  out.params = {d.mean + d.sd * a, d.sd * b * std::exp(th[0] * lref - M), th[0], th[1],
                std::exp(th[2] + lref), std::exp(th[3])};
  finish(out, x, y, starts.size(), sum);
  return out;
}

double predict(const CurveFit& fit, double x) {
  if (!fit.ok || !(x > 0)) return kNaN;
  const auto& p = fit.params;
  if (fit.model == "sigmoid") return p[0] + (p[1] - p[0]) * logistic((std::log10(x) - p[2]) / p[3]);
  if (fit.model == "bnsl") {
    const double lx = std::log(x);
    return p[0] + p[1] * std::exp(-p[2] * lx - p[3] * p[5] * softplus((lx - std::log(p[4])) / p[5]));
  }
  return kNaN;
}

double transition_decades(const CurveFit& sigmoid) {
  if (!sigmoid.ok || sigmoid.model != "sigmoid") return kNaN;
  return 2 * std::log(9.0) * sigmoid.params[3];
}

double largest_jump_fraction(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) return kNaN;
  std::map<double, std::pair<double, int>> by_x;  // x -> (sum y, count)
  for (size_t i = 0; i < x.size(); ++i) {
    auto& [sum, count] = by_x[x[i]];
    sum += y[i];
    ++count;
  }
  if (by_x.size() < 2) return kNaN;
  std::vector<double> v;
  for (const auto& [xv, sc] : by_x) v.push_back(sc.first / sc.second);
  const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  const double range = *mx - *mn;
  if (!(range > 0)) return kNaN;
  const double dir = v.back() >= v.front() ? 1.0 : -1.0;
  double jump = -INFINITY;
  for (size_t i = 0; i + 1 < v.size(); ++i) jump = std::max(jump, dir * (v[i + 1] - v[i]));
  return jump / range;
}

}  // namespace scalelab::probe
