// defines: sweep::stored_plan (the inverse of PlannedRun::plan_json)
#include "sweep/stored_plan.h"

#include <fmt/format.h>

#include "core/error.h"

namespace scalelab::sweep {

namespace {

// One recorded run back as a PlannedRun.
PlannedRun planned_run(const RunRecord& rec, const std::string& source) {
  const std::string what = fmt::format("{}: run {}/{}", source, rec.experiment, rec.name);
  const Json& p = rec.plan;
  auto need = [&](const char* key) -> const Json& {
    SL_REQUIRE(p.is_object() && p.contains(key), "{}: the stored plan lacks '{}' (a store from an older scalelab?)",
               what, key);
    return p.at(key);
  };
  PlannedRun r;
  r.name = rec.name;
  try {
    r.config = run_config_from_json(rec.config, what);
    r.kind = need("kind").get<std::string>();
    r.params_nonembedding = need("params_nonembedding").get<int64_t>();
    r.params_total = need("params_total").get<int64_t>();
    r.steps = need("steps").get<int64_t>();
    r.tokens = need("tokens").get<int64_t>();
    r.flops = need("flops").get<double>();
    r.flops_full = need("flops_full").get<double>();
    r.lr = need("lr").get<double>();
    r.heldout = need("heldout").get<bool>();
    r.epochs = need("epochs").get<double>();
    r.trunk = need("trunk").get<std::string>();
    r.fork_step = need("fork_step").get<int64_t>();
    for (const Json& f : need("forks")) r.forks.emplace_back(f.at("step").get<int64_t>(), f.at("branch").get<std::string>());
    r.tokens_to_train = need("tokens_to_train").get<int64_t>();
    r.tokens_per_second = need("tokens_per_second").get<double>();
    r.est_seconds = need("est_seconds").get<double>();
    r.threads = need("threads").get<int>();
  } catch (const Json::exception& e) {
    throw InputError(fmt::format("{}: the stored plan is not readable: {}", what, e.what()));
  }
  return r;
}

}  // namespace

StoredPlan stored_plan(const RunStore& store, const ExperimentRecord& experiment, int workers) {
  SL_REQUIRE(workers >= 1, "--workers: expected a count >= 1, got {}", workers);
  StoredPlan p;
  p.plan.experiment = experiment.name;
  p.plan.workers = workers;
  p.recorded.experiment_id = experiment.id;
  for (const RunRecord& rec : store.runs(experiment.id)) {
    p.plan.runs.push_back(planned_run(rec, store.location()));
    p.plan.threads = std::max(p.plan.threads, p.plan.runs.back().threads);
    p.recorded.run_ids.push_back(rec.id);
  }
  return p;
}

}  // namespace scalelab::sweep
