// Law base class: fit-space transforms, the default objective and design checks, make_law.
#include "fit/law.h"

#include "core/error.h"
#include "fit/law_families.h"
#include "fit/objective.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace scalelab::fit {

void LawOptions::validate(const std::string& law) const {
  if (law == "power" || law == "bnsl") {
    SL_REQUIRE(variable == "N" || variable == "D" || variable == "C",
               "law_options.variable: {} takes N, D or C, got '{}'", law, variable);
  } else if (law == "kaplan") {
    SL_REQUIRE(variable == "N" || variable == "D" || variable == "ND",
               "law_options.variable: kaplan takes N, D or ND (joint), got '{}'", variable);
  }
  if (law == "bnsl") {
    SL_REQUIRE(breaks == 1 || breaks == 2, "law_options.breaks: bnsl takes 1 or 2 breaks, got {}",
               breaks);
  }
}

Json LawOptions::to_json() const { return Json{{"variable", variable}, {"breaks", breaks}}; }

LawOptions LawOptions::from_json(const Json& j) {
  LawOptions o;
  SL_REQUIRE(j.is_object(), "law_options: expected an object");
  if (j.contains("variable")) {
    SL_REQUIRE(j["variable"].is_string(), "law_options.variable: expected a string");
    o.variable = j["variable"].get<std::string>();
  }
  if (j.contains("breaks")) {
    SL_REQUIRE(j["breaks"].is_number_integer(), "law_options.breaks: expected an integer");
    o.breaks = j["breaks"].get<int>();
  }
  return o;
}

Points Points::from(const Observations& obs) {
  Points p;
  size_t n = obs.size();
  for (auto* v : {&p.N, &p.D, &p.C, &p.U, &p.loss, &p.logN, &p.logD, &p.logC, &p.logloss})
    v->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Observation& o = obs[i];
    p.N[i] = o.N;
    p.D[i] = o.D;
    p.C[i] = o.C;
    p.U[i] = o.U;
    p.loss[i] = o.loss;
    p.logN[i] = std::log(o.N);
    p.logD[i] = std::log(o.D);
    p.logC[i] = std::log(o.C);
    p.logloss[i] = std::log(o.loss);
  }
  p.obs = obs;
  return p;
}

Law::~Law() = default;

void Law::to_fit(std::span<const double> params, std::span<double> theta) const {
  auto sc = scales();
  SL_ASSERT(params.size() == sc.size() && theta.size() == sc.size());
  for (size_t j = 0; j < sc.size(); ++j)
    theta[j] = sc[j] == ParamScale::kLog ? std::log(params[j]) : params[j];
}

void Law::to_natural(std::span<const double> theta, std::span<double> params) const {
  auto sc = scales();
  SL_ASSERT(params.size() == sc.size() && theta.size() == sc.size());
  for (size_t j = 0; j < sc.size(); ++j)
    params[j] = sc[j] == ParamScale::kLog ? std::exp(theta[j]) : theta[j];
}

// d L / d p_j = L * (d log L / d theta_j) * (d theta_j / d p_j), with d theta / d p = 1/p
// on the log scale and 1 on the linear one.
void Law::gradient(std::span<const double> params, const Observation& x,
                   std::span<double> grad) const {
  size_t p = params.size();
  std::vector<double> theta(p), gt(p);
  to_fit(params, theta);
  Points one = Points::from(Observations{x});
  double lp = log_predict_fit(theta, one, 0, gt);
  double L = std::exp(lp);
  auto sc = scales();
  for (size_t j = 0; j < p; ++j)
    grad[j] = L * gt[j] / (sc[j] == ParamScale::kLog ? params[j] : 1.0);
}

double Law::objective(std::span<const double> theta, const Points& pts,
                      std::span<const double> weights, double delta, std::span<double> grad) const {
  return generic_objective(*this, theta, pts, weights, delta, grad);
}

std::map<std::string, double> Law::derived(std::span<const double>) const { return {}; }

void Law::check_design(const Points& pts) const {
  const std::string law = name();
  const std::string cols = columns();
  size_t n = pts.size();
  int p = dim();
  SL_REQUIRE(static_cast<int>(n) > p,
             "{}: {} points for {} parameters; the fit needs more points than parameters", law, n, p);
  for (size_t i = 0; i < n; ++i) {
    const Observation& o = pts.at(i);
    auto check = [&](double v, const char* col) {
      SL_REQUIRE(std::isfinite(v) && v > 0, "{}: point {}: {} must be a positive finite number, got {}",
                 law, i + 1, col, v);
    };
    check(o.loss, "loss");
    for (char c : cols) {
      if (c == 'N') check(o.N, "N");
      if (c == 'D') check(o.D, "D");
      if (c == 'C') check(o.C, "C");
      if (c == 'U')
        SL_REQUIRE(std::isfinite(o.U) && o.U >= 0,
                   "{}: point {}: U (unique tokens) must be >= 0 (0 = unknown), got {}", law, i + 1, o.U);
    }
  }
}

std::vector<std::string> law_names() { return {"chinchilla", "kaplan", "power", "data-constrained", "bnsl", "overtrain"}; }

std::unique_ptr<Law> make_law(const std::string& name, const LawOptions& options) {
  options.validate(name);
  if (name == "chinchilla") return detail::make_chinchilla_law(options);
  if (name == "kaplan") return detail::make_kaplan_law(options);
  if (name == "power") return detail::make_power_law(options);
  if (name == "data-constrained") return detail::make_data_constrained_law(options);
  if (name == "bnsl") return detail::make_bnsl_law(options);
  if (name == "overtrain") return detail::make_overtrain_law(options);
  std::string known;
  for (const auto& n : law_names()) known += (known.empty() ? "" : ", ") + n;
  throw InputError(fmt::format("law: unknown law '{}'; expected one of {}", name, known));
}

namespace detail {

int count_distinct(std::span<const double> values) {
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  int count = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (i == 0 || std::fabs(v[i] - v[i - 1]) > 1e-9 * std::max(std::fabs(v[i]), std::fabs(v[i - 1])))
      ++count;
  return count;
}

double abs_correlation(std::span<const double> x, std::span<const double> y) {
  size_t n = x.size();
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= n, my /= n;
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return 1.0;
  return std::fabs(sxy) / std::sqrt(sxx * syy);
}

const std::vector<double>& log_column(const Points& pts, const std::string& variable) {
  if (variable == "N") return pts.logN;
  if (variable == "D") return pts.logD;
  SL_ASSERT(variable == "C");
  return pts.logC;
}

LogColumn log_member(const std::string& variable) {
  if (variable == "N") return &Points::logN;
  if (variable == "D") return &Points::logD;
  SL_ASSERT(variable == "C");
  return &Points::logC;
}

double column_value(const Observation& x, const std::string& variable) {
  if (variable == "N") return x.N;
  if (variable == "D") return x.D;
  SL_ASSERT(variable == "C");
  return x.C;
}

std::vector<std::vector<double>> grid_product(const std::vector<std::vector<double>>& axes) {
  std::vector<std::vector<double>> out{{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<double>> next;
    next.reserve(out.size() * axis.size());
    for (const auto& prefix : out)
      for (double v : axis) {
        next.push_back(prefix);
        next.back().push_back(v);
      }
    out = std::move(next);
  }
  return out;
}

}  // namespace detail
}  // namespace scalelab::fit
