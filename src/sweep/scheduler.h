// defines: scalelab::sweep::RunView, launch_order, ladder_ended, ready_runs
//
// The scheduler: given a plan and what is known of each run (its status in the store,
// whether its forecast is saved, whether this worker runs it, whether its WSD fork
// exists), which runs may start now. Pure: no store, no processes, no clock, so every
// rule is tested directly (tests/sweep/test_scheduler.cpp) and any launcher (the local
// executor today) asks the same questions. The rules:
//   - a run that is done, failed or already running here is not started again;
//   - a WSD branch waits for its trunk's fork file, or for its trunk to end (a trunk
//     that ended without the fork: the branch trains from scratch, identically);
//   - a held-out run waits until every ladder run has ended and its forecast is saved
//     (the forecast is made before it trains), and runs alone: nothing else runs here
//     beside it, so its throughput is its own.
// Claiming (RunStore::try_claim) stays with the caller: a run another worker holds is
// skipped there.
//
//   const auto order = launch_order(plan);
//   for (size_t i : ready_runs(plan, order, views)) if (store.try_claim(...)) launch(i);
#pragma once

#include <cstddef>
#include <vector>

#include "sweep/planner.h"
#include "sweep/run_store.h"

namespace scalelab::sweep {

// What the scheduler knows of one planned run (same index as Plan::runs).
struct RunView {
  RunStatus status = RunStatus::planned;  // in the store (any worker's)
  bool forecast_saved = false;            // held-out runs: the forecast is in the store
  bool running_here = false;              // this worker trains it now
  bool fork_ready = false;                // WSD branches: the trunk's fork file exists
};

// Launch order: ladder runs before held-out runs, trunks before branches, then longest
// first (the list schedule's rule, which keeps the wall time near its lower bound).
std::vector<size_t> launch_order(const Plan& plan);

// Whether every non-held-out run has ended (done or failed): the laws can be fitted.
bool ladder_ended(const Plan& plan, const std::vector<RunView>& views);

// The runs that may start now, in `order`. A held-out run, when ready, comes alone
// (and only when nothing runs here). Worker slots are the caller's to count.
std::vector<size_t> ready_runs(const Plan& plan, const std::vector<size_t>& order, const std::vector<RunView>& views);

}  // namespace scalelab::sweep
