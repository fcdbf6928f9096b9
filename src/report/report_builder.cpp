// From the run store to the report's data and the summary (report_builder.h).
#include "report/report_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "core/training_compute.h"
#include "fit/approach2.h"
#include "fit/fit_result.h"
#include "fit/forecast.h"
#include "report/probe_section.h"
#include "report/svg_plot.h"
#include "sweep/experiment_fits.h"

namespace scalelab::report {

namespace {

using sweep::RunRecord;
using sweep::RunStatus;
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

std::vector<double> log_grid(double lo, double hi, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(lo * std::pow(hi / lo, static_cast<double>(i) / (n - 1)));
  return out;
}

// What the parameters mean, for the tables.
std::string param_note(const std::string& kind, const std::string& name) {
  static const std::map<std::string, std::string> a3 = {
      {"E", "irreducible loss (nats/token)"},   {"A", "coefficient of the N term"},
      {"B", "coefficient of the D term"},       {"alpha", "loss exponent of N"},
      {"beta", "loss exponent of D"},           {"a", "N_opt grows as C^a"},
      {"b", "D_opt grows as C^b"},              {"G", "N_opt = G (C/6)^a"}};
  static const std::map<std::string, std::string> a12 = {{"G", "N_opt = G (C/6)^a"},
                                                          {"a", "N_opt exponent"},
                                                          {"H", "D_opt = H (C/6)^b"},
                                                          {"b", "D_opt exponent"}};
  const auto& m = kind == "approach3" ? a3 : a12;
  auto it = m.find(name);
  return it == m.end() ? "" : it->second;
}

FitSummary summarise_fit(const std::string& kind, const fit::FitResult& f) {
  FitSummary s;
  s.kind = kind;
  s.title = kind == "approach3"   ? "Approach 3: parametric fit of every final point (Hoffmann et al. 2022, sec. 3.3)"
            : kind == "approach1" ? "Approach 1: envelope of the final points of each size (Hoffmann et al. 2022, sec. 3.1)"
                                  : "Approach 2: IsoFLOP profiles (Hoffmann et al. 2022, sec. 3.2)";
  s.formula = f.formula;
  s.points = f.points;
  s.bootstrap = f.bootstrap;
  s.ci_level = f.ci_level;
  s.message = f.message;
  auto add = [&](const std::string& name, double value) {
    ParamRow r{name, value, false, 0, 0, param_note(kind, name)};
    if (auto it = f.ci.find(name); it != f.ci.end()) r.has_ci = true, r.lo = it->second[0], r.hi = it->second[1];
    s.params.push_back(r);
  };
  for (size_t i = 0; i < f.names.size(); ++i) add(f.names[i], f.params[i]);
  if (kind == "approach3")
    for (const char* d : {"a", "b"})
      if (f.derived.count(d)) add(d, f.derived.at(d));
  return s;
}

std::string short_count(double v) { return format_si(v, 3); }

bool is_forecast_heldout(const RunRecord& r) { return r.plan.value("heldout", false) && r.forecast.is_object(); }

// A held-out run's stored forecast (sweep/experiment_fits.h writes it before the run trains)
// beside the loss it reached.
ForecastRow forecast_row(const RunRecord& r) {
  ForecastRow f;
  f.run = r.name;
  f.N = r.forecast.value("N", 0.0);
  f.D = r.forecast.value("D", 0.0);
  f.C = r.forecast.value("C", 0.0);
  f.predicted = r.forecast.at("predicted").get<double>();
  f.has_ci = r.forecast.value("has_ci", false);
  if (f.has_ci) f.lo = r.forecast.at("lo").get<double>(), f.hi = r.forecast.at("hi").get<double>();
  f.actual = r.status == RunStatus::done ? r.result.at("final_val_loss").get<double>() : kMissing;
  f.rel_error = (f.predicted - f.actual) / f.actual;
  f.forecast_at = r.forecast.value("saved_at", std::string());
  return f;
}

}  // namespace

ReportData build_report_data(const sweep::RunStore& store, const std::string& experiment) {
  const sweep::ExperimentRecord exp = store.experiment(experiment);
  const std::vector<RunRecord> runs = store.runs(exp.id);
  ReportData d;
  d.title = fmt::format("scalelab: {}", experiment);
  d.experiment = experiment;
  d.spec_text = exp.spec;
  d.flops_convention = fmt::format("{}, N non-embedding", kComputeConvention);

  std::optional<fit::FitResult> fit3;
  if (auto j = store.fit(exp.id, "approach3")) fit3 = fit::fit_from_json(*j, "store fit approach3");
  for (const std::string& kind : {std::string("approach3"), std::string("approach1"), std::string("approach2")})
    if (auto j = store.fit(exp.id, kind)) d.fits.push_back(summarise_fit(kind, fit::fit_from_json(*j, "store fit " + kind)));

  // Curves and final points.
  std::set<double> ladder_sizes;
  double c_max_ladder = 0, c_min = std::numeric_limits<double>::infinity(), c_max = 0;
  std::string started, ended;  // earliest start, latest end (ISO 8601 sorts as text)
  std::set<std::string> commits, hosts;
  for (const RunRecord& r : runs) {
    if (!r.git_commit.empty()) commits.insert(r.git_commit);
    if (!r.host.empty()) hosts.insert(r.host);
    if (!r.started_at.empty() && (started.empty() || r.started_at < started)) started = r.started_at;
    if (r.ended_at > ended) ended = r.ended_at;
    if (r.status == RunStatus::failed) d.failed_runs.emplace_back(r.name, r.error);
    if (r.status != RunStatus::done) continue;
    const bool heldout = r.plan.value("heldout", false);
    const double N = r.result.at("params_nonembedding").get<double>();
    const double D = r.result.at("tokens_trained").get<double>();
    const double tokens_per_step = r.result.value("tokens_per_step", 0.0);
    RunCurve c{r.name, N, heldout, {}, {}, {}, {}};
    for (const sweep::CurvePoint& p : store.curve(r.id)) {
      const double tokens = p.tokens > 0 ? static_cast<double>(p.tokens) : static_cast<double>(p.step) * tokens_per_step;
      if (std::isfinite(p.val_loss) && tokens > 0) c.tokens.push_back(tokens), c.val_loss.push_back(p.val_loss);
      if (std::isfinite(p.loss) && tokens > 0) c.train_tokens.push_back(tokens), c.train_loss.push_back(p.loss);
    }
    d.curves.push_back(std::move(c));
    // The compute the run recorded under the convention (older runs: computed the same way).
    const double C = r.result.value("flops", training_compute(N, D));
    RunPoint pt{r.name, N, D, C, r.result.at("final_val_loss").get<double>(), heldout, kMissing, kMissing};
    if (fit3) {
      pt.fitted = fit3->predict(fit::Observation{.N = N, .D = D, .C = pt.C});
      pt.residual = std::log(pt.loss) - std::log(pt.fitted);
    }
    if (!heldout) ladder_sizes.insert(N), c_max_ladder = std::max(c_max_ladder, pt.C);
    c_min = std::min(c_min, pt.C);
    c_max = std::max(c_max, pt.C);
    d.points.push_back(pt);
  }

  // The fitted law along each ladder size, and its compute-optimal frontier.
  if (fit3 && !d.points.empty()) {
    const fit::FitModel model(*fit3);
    const double lo = c_min / 2, hi = c_max * 4;
    for (double N : ladder_sizes) {
      Line l{fmt::format("N = {}", short_count(N)), {}, {}};
      for (double C : log_grid(lo, hi, 60)) {
        l.x.push_back(C);
        l.y.push_back(model.loss(fit3->params, N, tokens_at_compute(C, N)));
      }
      d.law_by_size.push_back(std::move(l));
    }
    d.frontier.label = "compute-optimal frontier";
    for (double C : log_grid(lo, hi, 60)) {
      try {
        const double L = model.optimal_loss(fit3->params, C);
        d.frontier.x.push_back(C);
        d.frontier.y.push_back(L);
      } catch (const InputError&) {
      }
    }
  }

  // IsoFLOP profiles of the IsoFLOP runs.
  const fit::Observations iso = sweep::experiment_observations(runs, false, "isoflop");
  if (!iso.empty()) {
    for (const fit::IsoFlopProfile& p : fit::isoflop_profiles(iso)) {
      IsoFlopPanel panel;
      panel.C = p.C;
      panel.usable = p.usable;
      panel.N_opt = p.N_opt;
      panel.loss_min = p.loss_min;
      double n_lo = std::numeric_limits<double>::infinity(), n_hi = 0;
      for (const fit::Observation& o : iso)
        if (std::abs(o.C / p.C - 1.0) <= 0.25) {
          panel.N.push_back(o.N), panel.loss.push_back(o.loss);
          n_lo = std::min(n_lo, o.N), n_hi = std::max(n_hi, o.N);
        }
      panel.parabola.label = fmt::format("C = {}", format_sig(p.C, 2));
      if (p.usable)
        for (double N : log_grid(n_lo / 1.5, n_hi * 1.5, 40)) {
          const double x = std::log(N);
          panel.parabola.x.push_back(N);
          panel.parabola.y.push_back(p.c0 + p.c1 * x + p.c2 * x * x);
        }
      d.isoflop.push_back(std::move(panel));
    }
  }

  // Held-out forecasts against what the runs reached: this experiment's, and for the
  // calibration table every one the store holds.
  for (const RunRecord& r : runs)
    if (is_forecast_heldout(r)) d.forecasts.push_back(forecast_row(r));
  for (const RunRecord& r : store.all_runs())
    if (is_forecast_heldout(r)) d.calibration.push_back({r.experiment, forecast_row(r)});

  // Allocation at a few budgets from the largest ladder run up, and tokens per parameter.
  d.tokens_per_param = d.tokens_per_param_lo = d.tokens_per_param_hi = kMissing;
  if (fit3 && c_max_ladder > 0) {
    const double at = d.forecasts.empty() ? c_max_ladder : d.forecasts.front().C;
    for (double k : {1.0, 10.0, 100.0, 1e3, 1e4}) {
      const double C = at * k;
      try {
        const fit::Estimates e = fit::forecast_at_budget(*fit3, C);
        // A law of compute alone (e.g. a power law in C) forecasts the loss but no split.
        if (std::none_of(e.begin(), e.end(), [](const fit::Estimate& q) { return q.name == "N_opt"; })) break;
        const auto& N = fit::find_estimate(e, "N_opt");
        const auto& D = fit::find_estimate(e, "D_opt");
        const auto& tpp = fit::find_estimate(e, "tokens_per_param");
        const auto& L = fit::find_estimate(e, "loss");
        AllocationRow row{C, N.value, N.lo, N.hi, D.value, D.lo, D.hi, tpp.value, L.value, L.lo, L.hi, L.has_ci};
        d.allocation.push_back(row);
        if (k == 1.0) {
          d.tokens_per_param = tpp.value;
          d.tokens_per_param_lo = tpp.has_ci ? tpp.lo : kMissing;
          d.tokens_per_param_hi = tpp.has_ci ? tpp.hi : kMissing;
        }
      } catch (const InputError&) {
      }
    }
  }

  // Provenance.
  auto joined = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out.empty() ? std::string("unknown") : out;
  };
  d.provenance = {{"experiment", experiment},
                  {"store", store.location()},
                  {"spec hash", exp.spec_hash},
                  {"scalelab commit", joined(commits)},
                  {"hosts", joined(hosts)},
                  {"created", exp.created_at},
                  {"first run started", started},
                  {"last run ended", ended},
                  {"runs", fmt::format("{} done, {} failed of {}", exp.done, exp.failed, exp.runs)},
                  {"FLOP convention", d.flops_convention}};

  // The story: what was found, in a few sentences.
  int n_done = 0;
  double n_lo = std::numeric_limits<double>::infinity(), n_hi = 0, d_lo = n_lo, d_hi = 0;
  for (const RunPoint& p : d.points)
    if (!p.heldout) ++n_done, n_lo = std::min(n_lo, p.N), n_hi = std::max(n_hi, p.N), d_lo = std::min(d_lo, p.D),
                                                                          d_hi = std::max(d_hi, p.D);
  if (n_done > 0)
    d.story.push_back(fmt::format(
        "{} runs of {} sizes, from {} to {} non-embedding parameters ({:.1f} decades), each trained on {} to {} tokens.",
        n_done, ladder_sizes.size(), short_count(n_lo), short_count(n_hi), std::log10(n_hi / n_lo), short_count(d_lo),
        short_count(d_hi)));
  if (fit3) {
    auto pr = [&](const char* name) {
      const double v = fit3->derived.count(name) ? fit3->derived.at(name) : fit3->param(name);
      auto it = fit3->ci.find(name);
      return it == fit3->ci.end() ? format_sig(v, 3)
                                  : fmt::format("{} [{}, {}]", format_sig(v, 3), format_sig(it->second[0], 3),
                                                format_sig(it->second[1], 3));
    };
    // The law's own formula and parameter names (whatever law the experiment was fitted with).
    std::string values;
    for (const std::string& name : fit3->names) values += (values.empty() ? "" : ", ") + name + " = " + pr(name.c_str());
    d.story.push_back(fmt::format("Fitted {} with {} ({:.0f}% bootstrap intervals over {} resamples).", fit3->formula,
                                  values, 100 * fit3->ci_level, fit3->bootstrap));
    if (fit3->derived.count("a"))
      d.story.push_back(fmt::format("Compute-optimal models grow as N_opt ~ C^{} and D_opt ~ C^{}; at {} FLOPs the "
                                    "best split is about {} tokens per parameter.",
                                    pr("a"), pr("b"), format_sig(d.allocation.empty() ? 0 : d.allocation[0].C, 2),
                                    format_sig(d.tokens_per_param, 3)));
  }
  for (const ForecastRow& f : d.forecasts) {
    const double ratio = c_max_ladder > 0 ? f.C / c_max_ladder : kMissing;
    std::string s = fmt::format("Held-out {} ({:.1f}x the compute of the largest ladder run) was forecast before it "
                                "trained: loss {}",
                                f.run, ratio, format_sig(f.predicted, 4));
    if (f.has_ci) s += fmt::format(" [{}, {}]", format_sig(f.lo, 4), format_sig(f.hi, 4));
    if (std::isfinite(f.actual))
      s += fmt::format("; it reached {}, a relative error of {:+.2f}%.", format_sig(f.actual, 4), 100 * f.rel_error);
    else
      s += "; it has not finished training.";
    d.story.push_back(s);
  }
  if (!d.failed_runs.empty()) d.story.push_back(fmt::format("{} run(s) failed; see the table below.", d.failed_runs.size()));

  // The probes of the scaling hypothesis: every experiment's, so one report shows all the
  // probes run into this store.
  d.probes = probe_sections(store);
  // A probe run in this experiment tells its headline (its first figure's sentence) in
  // the story too: for a probe experiment that is the finding, and it has no loss law.
  for (const ProbeSection& p : d.probes)
    if (p.experiment == experiment && p.unavailable.empty() && !p.figures.empty() && !p.figures[0].sentence.empty())
      d.story.push_back(fmt::format("{}: {}", p.title, p.figures[0].sentence));
  return d;
}

Json experiment_summary(const sweep::RunStore& store, const std::string& experiment, const ReportData& data,
                        double wall_seconds) {
  const sweep::ExperimentRecord exp = store.experiment(experiment);
  Json j;
  j["experiment"] = experiment;
  j["runs"] = {{"done", exp.done}, {"failed", exp.failed}, {"planned", exp.runs}};
  j["fit"] = nullptr;
  if (auto f = store.fit(exp.id, "approach3")) {
    const fit::FitResult r = fit::fit_from_json(*f, "store fit approach3");
    Json params, ci;
    for (size_t i = 0; i < r.names.size(); ++i) params[r.names[i]] = r.params[i];
    for (const auto& [k, v] : r.ci) ci[k] = {v[0], v[1]};
    j["fit"] = {{"law", r.law},     {"formula", r.formula}, {"params", params}, {"ci", ci},
                {"ci_level", r.ci_level}, {"bootstrap", r.bootstrap}, {"points", r.points},
                {"derived", r.derived}};
    // The exponents a reader looks for first, null where this law has no such parameter.
    auto named = [&](const std::string& name) {
      for (size_t i = 0; i < r.names.size(); ++i)
        if (r.names[i] == name) return Json(r.params[i]);
      return r.derived.count(name) ? Json(r.derived.at(name)) : Json(nullptr);
    };
    j["exponents"] = {{"alpha", named("alpha")}, {"beta", named("beta")}, {"a", named("a")}, {"b", named("b")}};
  }
  auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
  j["forecast"] = nullptr;
  if (!data.forecasts.empty()) {
    const ForecastRow& f = data.forecasts.front();
    j["forecast"] = {{"run", f.run},           {"N", f.N},
                     {"D", f.D},               {"C", f.C},
                     {"predicted", f.predicted}, {"lo", f.has_ci ? num(f.lo) : Json(nullptr)},
                     {"hi", f.has_ci ? num(f.hi) : Json(nullptr)}, {"actual", num(f.actual)},
                     {"rel_error", num(f.rel_error)}, {"saved_at", f.forecast_at}};
  }
  // Calibration over every held-out forecast in the store.
  int finished = 0, with_interval = 0, covered = 0;
  for (const CalibrationRow& c : data.calibration) {
    finished += std::isfinite(c.forecast.actual);
    with_interval += c.covered() >= 0;
    covered += c.covered() == 1;
  }
  j["calibration"] = {{"forecasts", data.calibration.size()},
                      {"finished", finished},
                      {"with_interval", with_interval},
                      {"covered", covered}};
  j["tokens_per_param"] = {{"value", num(data.tokens_per_param)},
                           {"lo", num(data.tokens_per_param_lo)},
                           {"hi", num(data.tokens_per_param_hi)},
                           {"at_flops", data.allocation.empty() ? Json(nullptr) : Json(data.allocation[0].C)}};
  Json alloc = Json::array();
  for (const AllocationRow& a : data.allocation)
    alloc.push_back({{"C", a.C}, {"N_opt", a.N}, {"D_opt", a.D}, {"tokens_per_param", a.tokens_per_param},
                     {"loss", num(a.loss)}});
  j["allocation"] = alloc;
  j["wall_seconds"] = wall_seconds;
  j["story"] = data.story;
  return j;
}

}  // namespace scalelab::report
