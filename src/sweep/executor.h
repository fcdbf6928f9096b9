// defines: scalelab::sweep::SweepOptions, SweepResult, run_sweep
//
// The local executor: trains a plan's runs in parallel worker processes (each run is
// `scalelab train` in its own directory, child_process.h), recording everything in the
// run store. It
//   - skips runs already done, and runs another process has claimed and is training;
//   - resumes interrupted runs from their checkpoints (the trainer does this by itself);
//   - starts a WSD branch as soon as its trunk has written the branch's fork;
//   - records a failed run (non-zero exit, crash, NaN loss) with its error and goes on;
//   - fits the laws when every non-held-out run has ended, saves the forecast of each
//     held-out run, and only then trains the held-out runs (alone, on all threads);
//   - on an interrupt (Ctrl-C) asks every child to checkpoint, releases their runs and
//     returns; a rerun continues where it stopped.
//
//   RunStore store(dir / "store.sqlite");
//   SweepResult r = run_sweep(spec, plan, store, {.runs_dir = dir / "runs", .interrupt = &flag});
//   // or, on other hosts that reach the store (scalelab worker): the plan read back
//   StoredPlan p = stored_plan(store, exp, 1);   // stored_plan.h
//   run_plan(p.plan, p.recorded, store, {.runs_dir = ..., .leave_when_idle = true});
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sweep/experiment_fits.h"
#include "sweep/planner.h"
#include "sweep/run_store.h"
#include "sweep/spec.h"

namespace scalelab::sweep {

struct SweepOptions {
  std::filesystem::path runs_dir;         // run directories: runs_dir / <run name>
  bool retry_failed = false;              // failed runs back to planned first
  const std::atomic<bool>* interrupt = nullptr;
  std::function<void(const std::string&)> log;  // one line per event; null = quiet
  bool progress = true;                   // redrawn status line on a terminal
  FitSettings fits;
  std::filesystem::path executable;       // scalelab binary; empty = this process's
  // scalelab worker: return as soon as this process trains nothing and can claim nothing,
  // even while other workers still train runs of the plan (a sweep waits for them all).
  bool leave_when_idle = false;
};

// A plan as recorded in the store: its experiment and the id of each run, in plan order.
struct RecordedPlan {
  int64_t experiment_id = 0;
  std::vector<int64_t> run_ids;
};

struct SweepResult {
  int64_t experiment_id = 0;
  int done = 0, failed = 0, pending = 0;  // run counts at the end
  int trained = 0;                        // runs this call finished training
  bool interrupted = false;
  bool complete = false;                  // every run ended (done or failed)
  double wall_seconds = 0;
  std::vector<std::string> fit_notes;
};

// Records the plan in the store: the experiment (spec text and hash), runs with new names
// added, runs whose config changed planned anew, and with retry_failed failed runs planned
// again. Nothing is trained.
RecordedPlan record_plan(const ExperimentSpec& spec, const Plan& plan, RunStore& store, const SweepOptions& options);

// Trains a recorded plan's runs as described above (the runs this process can claim).
SweepResult run_plan(const Plan& plan, const RecordedPlan& recorded, RunStore& store, const SweepOptions& options);

// record_plan, then run_plan.
SweepResult run_sweep(const ExperimentSpec& spec, const Plan& plan, RunStore& store, const SweepOptions& options);

}  // namespace scalelab::sweep
