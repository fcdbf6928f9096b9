// Forecasts from a fit, and the machinery that gives every derived quantity a bootstrap CI.
#include "fit/forecast.h"

#include <fmt/format.h>
#include <omp.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/training_compute.h"
#include "fit/power_fit.h"

namespace scalelab::fit {

Estimates estimate_with_ci(const FitResult& fit, const std::vector<std::string>& names,
                           const std::vector<std::string>& units, const ParamFunction& f) {
  SL_ASSERT(names.size() == units.size());
  std::vector<double> point = f(fit.params);
  SL_ASSERT(point.size() == names.size());
  Estimates out(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    out[i].name = names[i];
    out[i].unit = units[i];
    out[i].value = point[i];
  }
  const size_t S = fit.samples.size();
  if (S < 2) return out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::vector<double>> vals(names.size(), std::vector<double>(S, nan));
#pragma omp parallel for schedule(dynamic, 8)
  for (size_t s = 0; s < S; ++s) {
    try {
      std::vector<double> v = f(fit.samples[s]);
      for (size_t i = 0; i < names.size(); ++i) vals[i][s] = v[i];
    } catch (const InputError&) {
      // A draw whose parameters admit no answer (e.g. no interior optimum): a failed draw.
    }
  }
  for (size_t i = 0; i < names.size(); ++i) {
    size_t nan_count = 0;
    for (double v : vals[i]) nan_count += std::isnan(v) ? 1 : 0;
    out[i].failed_draws = static_cast<int>(nan_count);
    out[i].draws = static_cast<int>(S - nan_count);
    if (S - nan_count < 2) continue;
    SampleSummary sm = summarize_samples(vals[i], fit.ci_level);
    out[i].has_ci = true;
    out[i].lo = sm.lo;
    out[i].hi = sm.hi;
    out[i].se = sm.se;
  }
  return out;
}

Json estimates_to_json(const Estimates& e) {
  // JSON has no infinity: an unbounded end is null.
  auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
  Json j = Json::object();
  for (const auto& q : e) {
    Json x = {{"value", num(q.value)}, {"unit", q.unit}};
    if (q.has_ci) {
      x["ci"] = Json::array({num(q.lo), num(q.hi)});
      x["se"] = num(q.se);
      x["draws"] = q.draws;
      if (q.failed_draws > 0) x["failed_draws"] = q.failed_draws;
    }
    j[q.name] = x;
  }
  return j;
}

std::string format_estimates(const Estimates& e, double ci_level) {
  std::string out = fmt::format("  {:<22} {:>13}  {:>29}  {:>11}  {}\n", "quantity", "value",
                                fmt::format("{:.0f}% CI", 100 * ci_level), "se", "unit");
  for (const auto& q : e) {
    std::string ci = q.has_ci ? fmt::format("[{:.5g}, {:.5g}]", q.lo, q.hi) : "-";
    std::string se = q.has_ci ? fmt::format("{:.4g}", q.se) : "-";
    out += fmt::format("  {:<22} {:>13.6g}  {:>29}  {:>11}  {}\n", q.name, q.value, ci, se, q.unit);
  }
  return out;
}

const Estimate& find_estimate(const Estimates& e, const std::string& name) {
  for (const auto& q : e)
    if (q.name == name) return q;
  throw InternalError(fmt::format("no estimate named {}", name));
}

FitModel::FitModel(const FitResult& fit) : fit_(fit) {
  if (fit.approach == 1 || fit.approach == 2) {
    SL_REQUIRE(fit.names == std::vector<std::string>({"G", "a", "H", "b"}),
               "fit of approach {}: expected params G, a, H, b", fit.approach);
    return;
  }
  law_ = make_law(fit.law, fit.law_options);
  SL_REQUIRE(static_cast<int>(fit.params.size()) == law_->dim(), "fit: law {} has {} parameters, the fit has {}",
             fit.law, law_->dim(), fit.params.size());
}

void FitModel::require_loss(const char* what) const {
  SL_REQUIRE(has_loss(),
             "{} needs a loss law, and a fit of approach {} has none (only N_opt(C), D_opt(C)); fit with --approach 3",
             what, fit_.approach);
}

double FitModel::loss(std::span<const double> p, double N, double D, double U) const {
  require_loss("a loss forecast");
  Observation x;
  x.N = N;
  x.D = D;
  x.C = training_compute(N, D);
  x.U = U;
  return law_->predict(p, x);
}

double FitModel::loss_at_compute(std::span<const double> p, double C) const {
  SL_ASSERT(compute_only());
  Observation x;
  x.C = C;
  return law_->predict(p, x);
}

ComputeOptimal FitModel::optimal(std::span<const double> p, double C, double U) const {
  SL_REQUIRE(std::isfinite(C) && C > 6, "budget: C must be a FLOP count > 6, got {:g}", C);
  if (!law_) {
    ComputeOptimal o;
    o.N = p[0] * std::pow(C / 6, p[1]);  // G (C/6)^a
    o.D = tokens_at_compute(C, o.N);
    return o;
  }
  SL_REQUIRE(!compute_only(), "law {} in C alone predicts loss at a budget but not how to split it into N and D",
             law_->name());
  if (law_->name() == "chinchilla") return chinchilla_optimal(p, C);
  // Loss along the iso-compute line as a function of x = log N; D = C / (6 e^x).
  const double xmax = std::log(C / 6);
  auto f = [&](double x) {
    double v = loss(p, std::exp(x), tokens_at_compute(C, std::exp(x)), U);
    return std::isnan(v) ? std::numeric_limits<double>::infinity() : v;
  };
  const int M = 400;
  int best = 0;
  double fbest = f(0);
  for (int i = 1; i <= M; ++i) {
    double v = f(xmax * i / M);
    if (v < fbest) fbest = v, best = i;
  }
  SL_REQUIRE(best > 0 && best < M && std::isfinite(fbest),
             "law {}: the loss along C = 6ND at C = {:.3g} has no interior minimum (least at N = {:.3g}); a law in one "
             "variable cannot split a budget between N and D",
             law_->name(), C, std::exp(xmax * best / M));
  // Refine within the bracket of the best scan point's neighbours (width 2 xmax / M).
  double x = golden_section_min(f, xmax * (best - 1) / M, xmax * (best + 1) / M);
  ComputeOptimal o;
  o.N = std::exp(x);
  o.D = tokens_at_compute(C, o.N);
  return o;
}

double FitModel::optimal_loss(std::span<const double> p, double C, double U) const {
  require_loss("the loss at a compute-optimal point");
  if (compute_only()) return loss_at_compute(p, C);
  ComputeOptimal o = optimal(p, C, U);
  return loss(p, o.N, o.D, U);
}

FitResult fit_from_json(const Json& j, const std::string& source) {
  try {
    return FitResult::from_json(j);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", source, e.what()));
  }
}

FitResult load_fit(const std::filesystem::path& path) {
  SL_REQUIRE(std::filesystem::exists(path), "--fit {}: no such file", path.string());
  return fit_from_json(read_json_file(path), path.string());
}

Estimates forecast_loss(const FitResult& fit, double N, double D, double U) {
  SL_REQUIRE(std::isfinite(N) && N > 0, "--N: expected a positive parameter count, got {:g}", N);
  SL_REQUIRE(std::isfinite(D) && D > 0, "--D: expected a positive token count, got {:g}", D);
  SL_REQUIRE(std::isfinite(U) && U >= 0, "--U: expected a non-negative token count, got {:g}", U);
  FitModel m(fit);
  m.require_loss("forecast at (N, D)");
  return estimate_with_ci(fit, {"loss"}, {"nats/token"},
                          [&](std::span<const double> p) { return std::vector<double>{m.loss(p, N, D, U)}; });
}

Estimates forecast_at_budget(const FitResult& fit, double C, double U) {
  SL_REQUIRE(std::isfinite(C) && C > 6, "--C: expected a FLOP count > 6, got {:g}", C);
  FitModel m(fit);
  if (m.compute_only())
    return estimate_with_ci(fit, {"loss"}, {"nats/token"},
                            [&](std::span<const double> p) { return std::vector<double>{m.loss_at_compute(p, C)}; });
  std::vector<std::string> names{"N_opt", "D_opt", "tokens_per_param"};
  std::vector<std::string> units{"params", "tokens", "tokens/param"};
  if (m.has_loss()) names.push_back("loss"), units.push_back("nats/token");
  return estimate_with_ci(fit, names, units, [&](std::span<const double> p) {
    ComputeOptimal o = m.optimal(p, C, U);
    std::vector<double> v{o.N, o.D, o.D / o.N};
    if (m.has_loss()) v.push_back(m.loss(p, o.N, o.D, U));
    return v;
  });
}

}  // namespace scalelab::fit
