// Fitting a sweep's runs (experiment_fits.h).
#include "sweep/experiment_fits.h"

#include <chrono>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "core/training_compute.h"
#include "fit/approach1.h"
#include "fit/approach2.h"
#include "fit/approach3.h"
#include "fit/forecast.h"
#include "fit/law.h"
#include "sweep/off_law_points.h"

namespace scalelab::sweep {

namespace {

std::string utc_now() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

fit::Observations experiment_observations(const std::vector<RunRecord>& runs, bool include_heldout,
                                          const std::string& kind) {
  fit::Observations obs;
  for (const RunRecord& r : runs) {
    if (r.status != RunStatus::done || !r.result.is_object()) continue;
    const bool heldout = r.plan.value("heldout", false);
    if (heldout && !include_heldout) continue;
    if (!kind.empty() && r.plan.value("kind", std::string()) != kind) continue;
    fit::Observation o;
    o.N = r.result.at("params_nonembedding").get<double>();
    o.D = r.result.at("tokens_trained").get<double>();
    o.C = training_compute(o.N, o.D);
    o.loss = r.result.at("final_val_loss").get<double>();
    o.run = r.name;
    obs.push_back(o);
  }
  return obs;
}

ExperimentFits fit_experiment(RunStore& store, int64_t experiment_id, const FitSettings& settings) {
  const std::vector<RunRecord> runs = store.runs(experiment_id);
  fit::FitOptions opt;
  opt.bootstrap = settings.bootstrap;
  opt.seed = settings.seed;
  opt.threads = settings.threads;
  ExperimentFits out;

  fit::Observations points = experiment_observations(runs, false);
  const auto law = fit::make_law("chinchilla");
  // Points a law of (N, D) cannot describe bend the fit: left out, with a note, as long as
  // enough points remain to determine the law.
  std::string left_out;
  const std::vector<OffLawPoint> off = find_off_law_points(points);
  if (!off.empty() && static_cast<int>(points.size() - off.size()) > law->dim()) {
    for (const OffLawPoint& p : off) {
      std::erase_if(points, [&](const fit::Observation& o) { return o.run == p.run; });
      out.notes.push_back(fmt::format("left out of the fit: {}: {}", p.run, p.why));
      left_out += (left_out.empty() ? "" : ", ") + p.run;
    }
  } else if (!off.empty()) {
    out.notes.push_back(fmt::format("{} point(s) sit off the law (first: {}: {}) but too few would remain without "
                                    "them; they stay in the fit",
                                    off.size(), off[0].run, off[0].why));
  }
  out.approach3 = fit::fit_parametric(*law, points, opt);
  if (!left_out.empty())
    out.approach3->message += (out.approach3->message.empty() ? "" : "; ") +
                              fmt::format("left out as off the law (pre-law plateau or repeated data): {}", left_out);
  store.save_fit(experiment_id, "approach3", out.approach3->to_json());

  // Approach 1 over cooled-down final points: each size with >= 2 budgets is one curve.
  fit::Observations by_size = points;
  std::map<double, int> per_size;
  for (const auto& o : by_size) ++per_size[o.N];
  for (auto& o : by_size) {
    o.run = fmt::format("N={:.0f}", o.N);
    o.step = o.D;
  }
  std::erase_if(by_size, [&](const fit::Observation& o) { return per_size[o.N] < 2; });
  try {
    out.approach1 = fit::fit_approach1(by_size, opt);
    store.save_fit(experiment_id, "approach1", out.approach1->to_json());
  } catch (const InputError& e) {
    out.notes.push_back(fmt::format("approach 1 skipped: {}", e.what()));
  }

  const fit::Observations iso = experiment_observations(runs, false, "isoflop");
  if (iso.empty()) {
    out.notes.push_back("approach 2 skipped: the spec has no [isoflop] budgets");
  } else {
    try {
      out.approach2 = fit::fit_approach2(iso, opt);
      store.save_fit(experiment_id, "approach2", out.approach2->to_json());
    } catch (const InputError& e) {
      out.notes.push_back(fmt::format("approach 2 skipped: {}", e.what()));
    }
  }
  return out;
}

Json forecast_heldout(const fit::FitResult& fit, const RunRecord& run) {
  const double N = run.plan.at("params_nonembedding").get<double>();
  const double D = run.plan.at("tokens").get<double>();
  const fit::Estimates e = fit::forecast_loss(fit, N, D);
  const fit::Estimate& loss = fit::find_estimate(e, "loss");
  return Json{{"predicted", loss.value},
              {"lo", loss.has_ci ? Json(loss.lo) : Json(nullptr)},
              {"hi", loss.has_ci ? Json(loss.hi) : Json(nullptr)},
              {"has_ci", loss.has_ci},
              {"ci_level", fit.ci_level},
              {"N", N},
              {"D", D},
              {"C", training_compute(N, D)},
              {"law", fit.law},
              {"fit_points", fit.points},
              {"saved_at", utc_now()}};
}

}  // namespace scalelab::sweep
