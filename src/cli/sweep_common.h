// defines: scalelab::cli::SweepCliOptions, add_sweep_options, run_sweep_command
//
// What `scalelab sweep`, `scalelab demo` and `scalelab worker` share: the worker/thread/
// store options, the Ctrl-C handling (first Ctrl-C: every run checkpoints and the sweep
// stops cleanly, exit 130; a rerun continues), and the plan-then-sweep sequence with its
// console lines.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sweep/executor.h"
#include "sweep/spec.h"

namespace scalelab::cli {

struct SweepCliOptions {
  int workers = 0;           // 0: one per core for small models (see default_workers)
  int threads = 0;           // in all; 0 = every core
  std::string store;         // run store path
  bool retry_failed = false;
  bool no_probe = false;
  int bootstrap = 200;
  std::vector<std::string> sets;  // --set section.key=value for every run
  std::string device, precision;  // shorthands for --set train.device / train.precision
  bool no_train = false;     // sweep --no-train: record the plan in the store for workers
};

// Threads in all (default: every core) and workers (default: one per thread, since small
// models scale poorly across threads); InputError for counts < 1 or more workers than threads.
struct WorkerSplit {
  int workers = 1, threads = 1;
};
WorkerSplit resolve_workers(int workers, int threads);

void add_sweep_options(CLI::App* cmd, SweepCliOptions& o, const std::string& default_store);

// Plans, prints the plan, runs the sweep into the store; run directories go to
// <store's directory>/runs/<experiment>. Sets the exit code 130 when interrupted.
// With no_train it records the plan in the store and returns (workers train it).
sweep::SweepResult run_sweep_command(const sweep::ExperimentSpec& spec, const SweepCliOptions& o);

// `scalelab worker`: trains the runs of a recorded plan that this process can claim, on
// `workers` runs at once, then returns (other workers may still be training).
struct WorkerCliOptions {
  std::string store;
  std::string experiment;  // empty: every experiment with runs left to train
  int workers = 1;
  int bootstrap = 200;
};
void run_worker_command(const WorkerCliOptions& o);

}  // namespace scalelab::cli
