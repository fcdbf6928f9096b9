// defines: scalelab::sweep::FollowOptions, follow_sweep
//
// `scalelab sweep --executor slurm --wait`: the sweep trains elsewhere (Slurm's workers);
// this process follows it from the run store alone, with the local sweep's display: one
// line per run that starts, ends or fails, the held-out forecasts as they are saved, and
// the redrawn progress line on a terminal. It returns when every run has ended, when the
// jobs are gone with runs left (to submit again), or on Ctrl-C (the jobs keep running).
//
//   SweepResult r = follow_sweep(plan, recorded, store,
//                                {.jobs_active = [&] { return slurm_job_active(id); }, .log = print});
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "sweep/executor.h"

namespace scalelab::sweep {

struct FollowOptions {
  std::function<bool()> jobs_active;            // false once the workers' jobs have all ended
  std::function<void(const std::string&)> log;  // one line per event; null = quiet
  const std::atomic<bool>* interrupt = nullptr;
  bool progress = true;
  double poll_seconds = 2.0;
};

// done/failed/pending at the end; complete when every run ended; interrupted on Ctrl-C.
SweepResult follow_sweep(const Plan& plan, const RecordedPlan& recorded, RunStore& store, const FollowOptions& options);

}  // namespace scalelab::sweep
