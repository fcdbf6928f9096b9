// defines: scalelab::probe::ProbeOptions, probe_kinds, parse_probe_options,
//          default_probe_spec_text, probe_sweep_spec
//
// A probe experiment is an ordinary experiment spec (sweep/spec.h) with a [probe] table:
// the sweep trains its runs (keeping snapshots along the way, train/snapshots.h), then
// the probe scores them. Each kind has an embedded default spec sized to finish in a few
// minutes on a 2-core laptop (`scalelab probe KIND --print-spec` shows it).
//
//   [probe]
//   kind = "emergence"      # "emergence" | "icl" | "ngram" | "ensemble"
//   snapshots = 6           # checkpoints kept per run (train.snapshots); ensemble: 0
//   examples = 400          # emergence: validation problems scored per checkpoint
//   eval_windows = 64       # icl, ngram, ensemble: validation windows scored
//   induction_sequences = 64  # icl: random sequences repeated once
//   max_order = 5           # ngram: Kneser-Ney orders 1..max_order
//   k = [1, 2, 4]           # ensemble: members per ensemble (each of N/k parameters)
//   seed = 0                # problems, random sequences
//
//   ExperimentSpec spec = parse_spec(default_probe_spec_text("icl"), "<probe icl>");
//   ProbeOptions o = parse_probe_options(spec, "icl");
//   ExperimentSpec to_train = probe_sweep_spec(spec, o);   // ensembles expanded
//   sets.push_back(snapshot_set(o));                        // "train.snapshots=6" for every run
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sweep/spec.h"

namespace scalelab::probe {

struct ProbeOptions {
  std::string kind;
  int64_t snapshots = 6;
  int64_t examples = 400;
  int64_t eval_windows = 64;
  int64_t induction_sequences = 64;
  int max_order = 5;
  std::vector<int64_t> k = {1, 2, 4};
  int64_t seed = 0;
};

const std::vector<std::string>& probe_kinds();  // emergence, icl, ngram, ensemble

// The [probe] table of spec.text, checked strictly (InputError naming the file, line and
// key). `kind` is the command's; a spec whose probe.kind differs is an error. A spec
// without [probe] gets the defaults of `kind` (ensemble: snapshots = 0).
ProbeOptions parse_probe_options(const sweep::ExperimentSpec& spec, std::string_view kind);

// The embedded default spec of a probe kind (InputError naming the kind if unknown).
const std::string& default_probe_spec_text(std::string_view kind);

// "train.snapshots=K": the assignment that makes every run keep options.snapshots snapshots.
std::string snapshot_set(const ProbeOptions& options);

// One ensemble of the ensemble probe: k members of shape `shape` (about N/k parameters
// each: the depth the shape rule gives N, the width divided by sqrt(k) and rounded to
// whole heads), trained with the first k seeds.
struct EnsembleDesign {
  double N = 0;         // the full size the ensemble stands in for ([sizes] params)
  int64_t k = 1;
  sweep::Shape shape{};
  std::vector<int64_t> seeds;
};
// Every (N, k) of the spec, N ascending, k ascending. InputError naming the spec when it
// lacks [sizes] params or one [budgets] tokens list.
std::vector<EnsembleDesign> ensemble_design(const sweep::ExperimentSpec& spec, const ProbeOptions& options);

// What the sweep trains for this probe: the spec itself, or for the ensemble probe, each [sizes] target N expanded into k models of N/k parameters with
// seeds 1..k of experiment.seeds (so k members cost as much compute as one model of N).
sweep::ExperimentSpec probe_sweep_spec(const sweep::ExperimentSpec& spec, const ProbeOptions& options);

}  // namespace scalelab::probe
