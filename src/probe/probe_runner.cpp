#include "probe/probe_runner.h"

#include <algorithm>

#include "core/error.h"
#include "sweep/run_store.h"

namespace scalelab::probe {

std::vector<ProbeRun> probe_runs(const sweep::RunStore& store, int64_t experiment_id,
                                 const std::filesystem::path& runs_dir) {
  std::vector<ProbeRun> out;
  for (const sweep::RunRecord& r : store.runs(experiment_id)) {
    if (r.status != sweep::RunStatus::done) continue;
    ProbeRun p;
    p.name = r.name;
    p.N = r.plan.value("params_nonembedding", 0.0);
    p.tokens = r.plan.value("tokens", int64_t{0});
    p.config = run_config_from_json(r.config, r.name);
    p.seed = p.config.train.seed;
    p.dir = runs_dir / r.name;
    std::error_code ec;
    SL_REQUIRE(std::filesystem::exists(p.dir / "checkpoint.bin", ec),
               "{}: run '{}' is done but its checkpoint is gone; the probe scores the trained model",
               (p.dir / "checkpoint.bin").string(), r.name);
    out.push_back(std::move(p));
  }
  std::stable_sort(out.begin(), out.end(), [](const ProbeRun& a, const ProbeRun& b) {
    return a.N != b.N ? a.N < b.N : a.seed < b.seed;
  });
  return out;
}

data::Corpus load_probe_corpus(const ProbeContext& ctx) {
  const RunConfig& c = ctx.runs.front().config;
  for (const ProbeRun& r : ctx.runs)
    SL_REQUIRE(r.config.to_json()["data"] == c.to_json()["data"], "probe: runs '{}' and '{}' trained on different data; a probe "
               "experiment's runs share one [data] section", ctx.runs.front().name, r.name);
  return c.data.load(static_cast<int>(c.model.seq_len));
}

Json run_probe(const ProbeContext& ctx) {
  SL_REQUIRE(!ctx.runs.empty(), "probe {}: the experiment has no finished run to score", ctx.options.kind);
  Json result;
  if (ctx.options.kind == "emergence") result = run_emergence_probe(ctx);
  else if (ctx.options.kind == "icl") result = run_icl_probe(ctx);
  else if (ctx.options.kind == "ngram") result = run_ngram_probe(ctx);
  else if (ctx.options.kind == "ensemble") result = run_ensemble_probe(ctx);
  else throw InputError("probe: unknown kind '" + ctx.options.kind + "'");
  result["probe"] = ctx.options.kind;
  result["experiment"] = ctx.spec.name;
  return result;
}

}  // namespace scalelab::probe
