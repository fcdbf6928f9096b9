// defines: scalelab::cli::SweepCliOptions, SlurmCliOptions, add_sweep_options,
//          add_slurm_options, run_sweep_command, WorkerCliOptions, run_worker_command,
//          runs_root
//
// What `scalelab sweep`, `scalelab demo` and `scalelab worker` share: the worker/thread/
// store options, the stop signals (first Ctrl-C or SIGTERM: every run checkpoints and the
// sweep stops cleanly, exit 130; a rerun continues), and the plan-then-sweep sequence with
// its console lines, run here (the local launcher) or by a Slurm job array.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sweep/executor.h"
#include "sweep/spec.h"

namespace scalelab::cli {

// --executor slurm: one job array of `scalelab worker` tasks (sweep/slurm_launcher.h).
struct SlurmCliOptions {
  std::string partition, time;
  int gpus_per_run = 0, cpus_per_run = 1;
  std::vector<std::string> extra;  // --slurm-extra "--account=lab --qos=low" (repeatable)
  int signal_lead = 120;           // seconds of warning before the time limit
  bool wait = false;               // follow the sweep from the store until it ends
  bool dry_run = false;            // print the batch script; submit nothing
};

struct SweepCliOptions {
  int workers = 0;           // 0: one per core for small models (see default_workers)
  int threads = 0;           // in all; 0 = every core
  std::string store;         // run store: a SQLite path or a postgresql:// URL
  std::string runs_dir;      // run directories' root; empty: next to a SQLite store, ./runs for a server
  bool retry_failed = false;
  bool no_probe = false;
  int bootstrap = 200;
  std::vector<std::string> sets;  // --set section.key=value for every run
  std::string device, precision;  // shorthands for --set train.device / train.precision
  bool no_train = false;     // sweep --no-train: record the plan in the store for workers
  // Refuse a plan whose runs repeat the corpus more than experiment.max_epochs times
  // (the demo: a forecast from a ladder that repeats data the law does not model would
  // be silently wrong); otherwise such runs are a warning.
  bool refuse_repeated_data = false;
  std::string executor = "local";  // local or slurm
  SlurmCliOptions slurm;
};

// Threads in all (default: every core) and workers (default: one per thread, since small
// models scale poorly across threads); InputError for counts < 1 or more workers than threads.
struct WorkerSplit {
  int workers = 1, threads = 1;
};
WorkerSplit resolve_workers(int workers, int threads);

void add_sweep_options(CLI::App* cmd, SweepCliOptions& o, const std::string& default_store);
// --executor and the --slurm-* options of `scalelab sweep`.
void add_slurm_options(CLI::App* cmd, SweepCliOptions& o);

// Where run directories go: `runs_dir` when given; else <SQLite store's directory>/runs, or
// ./runs (the working directory) for a PostgreSQL store. Each experiment has a directory in it.
std::filesystem::path runs_root(const std::string& store, const std::string& runs_dir);

// Plans, prints the plan, runs the sweep into the store; run directories go to
// runs_root(...)/<experiment>. Sets the exit code 130 when interrupted.
// With no_train it records the plan in the store and returns (workers train it); with
// executor slurm it records the plan and submits the job array (and with wait follows it).
sweep::SweepResult run_sweep_command(const sweep::ExperimentSpec& spec, const SweepCliOptions& o);

// `scalelab worker`: trains the runs of a recorded plan that this process can claim, on
// `workers` runs at once, then returns (other workers may still be training). SIGTERM and
// Ctrl-C stop it cleanly; SIGUSR1 (Slurm's time-limit warning) too, and then it requeues
// its own Slurm task so the run resumes there.
struct WorkerCliOptions {
  std::string store;
  std::string experiment;  // empty: every experiment with runs left to train
  std::string runs_dir;    // as SweepCliOptions::runs_dir
  int workers = 1;
  int bootstrap = 200;
};
void run_worker_command(const WorkerCliOptions& o);

}  // namespace scalelab::cli
