// defines: scalelab::sweep::PlannedRun, Plan, PlanOptions, make_plan, run_config_toml,
//          config_hash
//
// The planner expands a spec (spec.h) into runs: sizes x budgets x seeds, IsoFLOP
// budgets, held-out runs, each with its resolved and validated run config, N, D, C and an
// estimated time from a throughput probe of its shape.
//
//   ExperimentSpec spec = load_spec("ladder.toml");
//   Plan plan = make_plan(spec, {.workers = 2, .threads = 2});
//   fmt::print("{}", format_plan(plan));      // plan_table.h
//
// WSD reuse (Hagele et al. 2024, sec. 4): with [wsd] reuse = true the budgets of one size
// become one trunk (the longest) and branches. A branch of D tokens leaves the trunk at
// its own cooldown start S0 = S - round(f S) (train/schedule.h) and trains only its
// cooldown, so a size costs D_max + sum over branches of f D_i tokens instead of sum D_i.
// Branches of trunks whose budget differs only by rounding to whole steps are merged.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "sweep/spec.h"
#include "train/run_config.h"

namespace scalelab::sweep {

struct PlannedRun {
  std::string name;
  std::string kind;            // "ladder" | "isoflop" | "heldout"
  RunConfig config;            // validated; train.threads is set by the executor
  int64_t params_nonembedding = 0, params_total = 0;
  int64_t steps = 0;
  int64_t tokens = 0;          // D = steps x tokens per step
  double flops = 0;            // C = 6 N D (N non-embedding; Kaplan et al. 2020)
  double flops_full = 0;       // Hoffmann et al. 2022, appendix F
  double lr = 0;
  bool heldout = false;
  double epochs = 0;           // D / training tokens of the corpus
  // WSD reuse: a branch starts from its trunk's fork at fork_step; a trunk saves forks.
  std::string trunk;                                   // empty: trained from scratch
  int64_t fork_step = 0;
  std::vector<std::pair<int64_t, std::string>> forks;  // (step, branch name), trunk only
  int64_t tokens_to_train = 0;  // what this run trains itself: tokens - fork_step x tokens/step
  double tokens_per_second = 0; // throughput probe of its shape at its thread count
  double est_seconds = 0;       // tokens_to_train / tokens_per_second
  int threads = 1;              // threads the executor gives it

  // Planner facts for the run store: {"kind", "params_nonembedding", "params_total",
  // "tokens", "flops", "flops_full", "lr", "heldout", "epochs", "trunk", "fork_step",
  // "forks", "tokens_to_train", "est_seconds", "shape": [L, d, h]}.
  Json plan_json() const;
};

struct Plan {
  std::string experiment;
  std::vector<PlannedRun> runs;   // ladder and IsoFLOP runs first, held-out runs last
  int workers = 1, threads = 1;   // workers, and threads in all
  int64_t corpus_train_tokens = 0;
  // Totals over the runs (tokens each run trains itself).
  int64_t tokens_to_train = 0;
  int64_t tokens_without_reuse = 0;  // the same runs each trained from scratch
  double flops_to_train = 0, flops_without_reuse = 0;
  double est_seconds_serial = 0;     // sum of the runs' estimates
  double est_wall_seconds = 0;       // list schedule on `workers`, held-out runs after the rest
  std::vector<std::string> warnings; // e.g. runs that repeat the data more than max_epochs
};

struct PlanOptions {
  int workers = 1;
  int threads = 0;          // in all; 0 = hardware threads
  bool probe = true;        // time a few steps of each shape; false: assume assumed_gflops
  double assumed_gflops = 50.0;  // per thread, when not probing (full FLOP count)
  // section.key=value assignments applied to every run after the spec's sections (e.g.
  // data.path=...); the planner's own keys (shape, length, lr, seed) still win.
  std::vector<std::string> sets;
  // Threads of a held-out run; 0: every thread (locally they train alone, after the rest).
  // A Slurm worker task has only its own CPUs, the same for every run.
  int heldout_threads = 0;
};

// Loads the corpus (for its size) and, with probe, times each distinct shape.
// InputError naming the spec's field for impossible runs (fewer tokens than one batch,
// an invalid shape or config), and for a spec that plans no run.
Plan make_plan(const ExperimentSpec& spec, const PlanOptions& options);

// The run's config as a TOML file `scalelab train --config` reads.
std::string run_config_toml(const RunConfig& config);
// FNV-1a 64 of the config's JSON without train.threads (which changes only the last bits
// of the numbers, not what is trained), as 16 hex digits.
std::string config_hash(const RunConfig& config);

}  // namespace scalelab::sweep
