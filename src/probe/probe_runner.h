// defines: scalelab::probe::ProbeRun, ProbeContext, probe_runs, run_probe,
//          run_emergence_probe, run_icl_probe, run_ngram_probe, run_ensemble_probe
//
// After the sweep has trained a probe experiment's runs, a probe scores them (and their
// snapshots) and returns its result: numbers, figures and measured sentences
// (figures.h), which the caller saves in the run store (RunStore::save_probe) for the
// report's "Scaling hypothesis" section.
//
//   RunStore store("probes/store.sqlite");
//   ProbeContext ctx{spec, options, probe_runs(store, exp_id, runs_dir), /*threads=*/2, log};
//   Json result = run_probe(ctx);         // {"probe", "title", "figures", "tables", "summary", "findings"}
//   store.save_probe(exp_id, options.kind, result);
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "data/corpus.h"
#include "probe/probe_spec.h"
#include "train/run_config.h"

namespace scalelab::sweep {
class RunStore;
}

namespace scalelab::probe {

// One finished run of the experiment.
struct ProbeRun {
  std::string name;
  double N = 0;               // non-embedding parameters
  int64_t tokens = 0;         // training tokens
  int64_t seed = 0;
  RunConfig config;
  std::filesystem::path dir;  // its run directory (checkpoint.bin, snapshots/)
};

// The experiment's finished runs, ascending in N then seed; InputError when a finished
// run's directory has no checkpoint (it was deleted).
std::vector<ProbeRun> probe_runs(const sweep::RunStore& store, int64_t experiment_id,
                                 const std::filesystem::path& runs_dir);

struct ProbeContext {
  const sweep::ExperimentSpec& spec;
  const ProbeOptions& options;
  std::vector<ProbeRun> runs;
  int threads = 1;
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

// The corpus the runs trained on (the first run's data config; a probe experiment's runs
// share it), loaded once for scoring.
data::Corpus load_probe_corpus(const ProbeContext& ctx);

// Dispatches on options.kind. InputError when there are too few runs to say anything.
Json run_probe(const ProbeContext& ctx);

Json run_emergence_probe(const ProbeContext& ctx);
Json run_icl_probe(const ProbeContext& ctx);
Json run_ngram_probe(const ProbeContext& ctx);
Json run_ensemble_probe(const ProbeContext& ctx);

}  // namespace scalelab::probe
