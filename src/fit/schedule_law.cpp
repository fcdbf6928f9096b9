// The annealing law of training curves (schedule_law.h).
#include "fit/schedule_law.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "core/error.h"
#include "fit/table_io.h"

namespace scalelab::fit {
namespace {

// The profiled range of alpha.
constexpr double kAlphaMin = 1e-3, kAlphaMax = 5.0;

// The fitted points of all curves: S1, S2 and the loss.
struct AreaPoints {
  std::vector<double> s1, s2, loss;
};

AreaPoints area_points(const std::vector<ScheduleCurve>& curves, const AnnealingOptions& o) {
  AreaPoints p;
  std::vector<double> s1, s2;
  for (const ScheduleCurve& c : curves) {
    annealing_areas(c.lr, o.lambda, s1, s2);
    const double skip = o.skip_fraction * static_cast<double>(c.lr.size());
    for (size_t k = 0; k < c.steps.size(); ++k) {
      if (static_cast<double>(c.steps[k]) <= skip) continue;
      const size_t i = static_cast<size_t>(c.steps[k] - 1);
      p.s1.push_back(s1[i]);
      p.s2.push_back(s2[i]);
      p.loss.push_back(c.loss[k]);
    }
  }
  return p;
}

// At a fixed alpha: (L0, A, C) by least squares, with L0 >= 0 (an irreducible loss is not
// negative; unbounded, L0 -> -inf and alpha -> 0 turn the power law into a logarithm that
// fits a short curve and extrapolates wrongly), and the sum of squared residuals.
double solve_linear(const AreaPoints& p, double alpha, Eigen::VectorXd& coef) {
  const Eigen::Index n = static_cast<Eigen::Index>(p.loss.size());
  Eigen::MatrixXd X(n, 3);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    X(i, 0) = 1.0;
    X(i, 1) = std::pow(p.s1[static_cast<size_t>(i)], -alpha);
    X(i, 2) = -p.s2[static_cast<size_t>(i)];
    y(i) = p.loss[static_cast<size_t>(i)];
  }
  coef = X.colPivHouseholderQr().solve(y);
  if (coef(0) < 0) {  // the bound is active: L0 = 0, the other two by least squares
    const Eigen::MatrixXd X2 = X.rightCols(2);
    const Eigen::VectorXd c2 = X2.colPivHouseholderQr().solve(y);
    coef(0) = 0, coef(1) = c2(0), coef(2) = c2(1);
  }
  return (X * coef - y).squaredNorm();
}

}  // namespace

void annealing_areas(const std::vector<double>& lr, double lambda, std::vector<double>& s1, std::vector<double>& s2) {
  s1.assign(lr.size(), 0.0);
  s2.assign(lr.size(), 0.0);
  double a1 = 0, a2 = 0, m = 0;
  for (size_t i = 0; i < lr.size(); ++i) {
    const double previous = i == 0 ? lr[0] : lr[i - 1];
    m = lambda * m + (previous - lr[i]);
    a1 += lr[i];
    a2 += m;
    s1[i] = a1;
    s2[i] = a2;
  }
}

namespace {

// The law at one lambda: alpha profiled (a log grid over (kAlphaMin, kAlphaMax), then
// golden-section search around the best), (L0, A, C) by least squares.
AnnealingFit fit_at_lambda(const std::vector<ScheduleCurve>& curves, double lambda, double skip_fraction) {
  const AreaPoints p = area_points(curves, {.lambda = lambda, .skip_fraction = skip_fraction});
  SL_REQUIRE(p.loss.size() >= 4, "annealing law: {} curve point(s) after the first {:.0f}% of each run; the law has 4 "
             "parameters", p.loss.size(), 100 * skip_fraction);
  const auto [lo, hi] = std::minmax_element(p.s1.begin(), p.s1.end());
  SL_REQUIRE(*hi > *lo * (1 + 1e-9), "annealing law: every point is at one forward area; log more steps");
  for (double s : p.s1) SL_REQUIRE(s > 0, "annealing law: a learning rate sums to {} by a logged step", s);
  Eigen::VectorXd coef(3);
  auto sse = [&](double log_alpha) { return solve_linear(p, std::exp(log_alpha), coef); };
  constexpr int kGrid = 200;
  const double g0 = std::log(kAlphaMin), g1 = std::log(kAlphaMax);
  double best_x = g0, best = std::numeric_limits<double>::infinity();
  for (int k = 0; k <= kGrid; ++k) {
    const double x = g0 + (g1 - g0) * k / kGrid;
    const double v = sse(x);
    if (v < best) best = v, best_x = x;
  }
  const double step = (g1 - g0) / kGrid;
  double a = best_x - step, b = best_x + step;
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double c = b - phi * (b - a), d = a + phi * (b - a);
  double fc = sse(c), fd = sse(d);
  for (int it = 0; it < 80; ++it) {
    if (fc < fd) {
      b = d, d = c, fd = fc, c = b - phi * (b - a), fc = sse(c);
    } else {
      a = c, c = d, fc = fd, d = a + phi * (b - a), fd = sse(d);
    }
  }
  const double alpha = std::exp((a + b) / 2);
  const double final_sse = solve_linear(p, alpha, coef);
  AnnealingFit f;
  f.L0 = coef(0), f.A = coef(1), f.alpha = alpha, f.C = coef(2);
  f.lambda = lambda;
  f.points = static_cast<int>(p.loss.size());
  f.rmse = std::sqrt(final_sse / static_cast<double>(p.loss.size()));
  return f;
}

}  // namespace

AnnealingFit fit_annealing_law(const std::vector<ScheduleCurve>& curves, const AnnealingOptions& options) {
  SL_REQUIRE(options.lambda == 0 || (options.lambda > 0 && options.lambda < 1),
             "annealing law: lambda must lie in (0, 1), or be 0 to fit it, got {}", options.lambda);
  SL_REQUIRE(options.skip_fraction >= 0 && options.skip_fraction < 1,
             "annealing law: skip_fraction must lie in [0, 1), got {}", options.skip_fraction);
  AnnealingFit f;
  if (options.lambda > 0) {
    f = fit_at_lambda(curves, options.lambda, options.skip_fraction);
  } else {
    // lambda fitted too: the momentum's memory, from 10 to 1000 steps (1 / (1 - lambda)).
    f.rmse = std::numeric_limits<double>::infinity();
    for (double lambda : {0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999}) {
      AnnealingFit g = fit_at_lambda(curves, lambda, options.skip_fraction);
      if (g.rmse < f.rmse) f = std::move(g);
    }
  }
  for (const ScheduleCurve& curve : curves) f.runs.push_back(curve.run);
  SL_REQUIRE(f.A > 0, "annealing law: the fitted A = {:.4g} is not positive: these curves do not fall as the forward "
             "area grows", f.A);
  return f;
}

std::vector<double> predict_annealing_curve(const AnnealingFit& f, const std::vector<double>& lr) {
  std::vector<double> s1, s2, out(lr.size());
  annealing_areas(lr, f.lambda, s1, s2);
  for (size_t i = 0; i < lr.size(); ++i) out[i] = f.L0 + f.A * std::pow(s1[i], -f.alpha) - f.C * s2[i];
  return out;
}

bool AnnealingFit::at_search_edge() const { return alpha < kAlphaMin * 1.05 || alpha > kAlphaMax / 1.05; }

Json AnnealingFit::to_json() const {
  return {{"law", "annealing"},
          {"formula", "L(s) = L0 + A*S1(s)^-alpha - C*S2(s)"},
          {"params", {{"L0", L0}, {"A", A}, {"alpha", alpha}, {"C", C}}},
          {"lambda", lambda},
          {"points", points},
          {"rmse", rmse},
          {"runs", runs}};
}

AnnealingFit AnnealingFit::from_json(const Json& j, const std::string& source) {
  SL_REQUIRE(j.is_object() && j.value("law", std::string()) == "annealing",
             "{}: not an annealing-law fit (scalelab fit CURVES --law annealing --json ...)", source);
  AnnealingFit f;
  try {
    const Json& p = j.at("params");
    f.L0 = p.at("L0").get<double>();
    f.A = p.at("A").get<double>();
    f.alpha = p.at("alpha").get<double>();
    f.C = p.at("C").get<double>();
    f.lambda = j.at("lambda").get<double>();
    f.points = j.value("points", 0);
    f.rmse = j.value("rmse", 0.0);
  } catch (const Json::exception& e) {
    throw InputError(fmt::format("{}: annealing-law fit: {}", source, e.what()));
  }
  return f;
}

std::vector<ScheduleCurve> read_schedule_curves(const std::filesystem::path& path, const CurveColumns& cols) {
  const Table t = read_table(path);
  const std::string source = path.string();
  const long i_run = find_column(t, "", cols.run.c_str(), "run id", source, false);
  const long i_step = find_column(t, cols.step, "step", "step", source, true);
  const long i_lr = find_column(t, cols.lr, "lr", "learning rate, --lr-col", source, true);
  const long i_loss = find_column(t, cols.loss, "loss", "loss, --loss-col", source, true);
  struct Raw {
    std::map<int64_t, double> lr, loss;
  };
  std::map<std::string, Raw> by_run;
  std::vector<std::string> order;
  for (const TableRow& r : t.rows) {
    const std::string run = i_run >= 0 ? r.cells[static_cast<size_t>(i_run)] : "";
    if (!by_run.count(run)) order.push_back(run);
    Raw& raw = by_run[run];
    const double step = parse_number(r.cells[static_cast<size_t>(i_step)], source, r, t.header[i_step]);
    SL_REQUIRE(step >= 1 && step == std::floor(step), "{}: line {}, column \"{}\": {} is not a step >= 1", source,
               r.line, t.header[i_step], step);
    const int64_t s = static_cast<int64_t>(step);
    if (!r.cells[static_cast<size_t>(i_lr)].empty()) {
      const double lr = parse_number(r.cells[static_cast<size_t>(i_lr)], source, r, t.header[i_lr]);
      SL_REQUIRE(lr >= 0, "{}: line {}, column \"{}\": learning rate {} is negative", source, r.line, t.header[i_lr], lr);
      raw.lr[s] = lr;
    }
    if (!r.cells[static_cast<size_t>(i_loss)].empty())
      raw.loss[s] = parse_number(r.cells[static_cast<size_t>(i_loss)], source, r, t.header[i_loss]);
  }
  std::vector<ScheduleCurve> out;
  for (const std::string& run : order) {
    const Raw& raw = by_run[run];
    const std::string name = run.empty() ? source : run;
    SL_REQUIRE(!raw.lr.empty(), "{}: run {}: no row has a learning rate", source, name);
    SL_REQUIRE(!raw.loss.empty(), "{}: run {}: no row has a loss", source, name);
    ScheduleCurve c;
    c.run = name;
    const int64_t last = std::max(raw.lr.rbegin()->first, raw.loss.rbegin()->first);
    c.lr.resize(static_cast<size_t>(last));
    // Linear between logged steps, from 0 at step 0; held after the last logged one.
    int64_t s0 = 0;
    double v0 = 0;
    auto next = raw.lr.begin();
    for (int64_t s = 1; s <= last; ++s) {
      while (next != raw.lr.end() && next->first < s) s0 = next->first, v0 = next->second, ++next;
      c.lr[static_cast<size_t>(s - 1)] =
          next == raw.lr.end() ? v0 : v0 + (next->second - v0) * static_cast<double>(s - s0) / (next->first - s0);
    }
    for (const auto& [s, l] : raw.loss) c.steps.push_back(s), c.loss.push_back(l);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace scalelab::fit
