// defines: scalelab::sweep::stored_plan
//
// A plan read back from the run store: what `scalelab sweep` recorded (each run's
// resolved config and its planner facts, RunRow::plan = PlannedRun::plan_json()), so a
// worker on any host that reaches the store trains exactly the runs the sweep planned,
// without the spec file, the corpus size or the --set options the sweep was given.
//
//   RunStore store("lab/store.sqlite");
//   StoredPlan p = stored_plan(store, store.experiment("ladder"), /*workers=*/1);
//   run_plan(p.plan, p.recorded, store, {.leave_when_idle = true, ...});
#pragma once

#include "sweep/executor.h"
#include "sweep/planner.h"
#include "sweep/run_store.h"

namespace scalelab::sweep {

struct StoredPlan {
  Plan plan;            // runs in id order, which is the recorded plan's order
  RecordedPlan recorded;  // the experiment and each run's id, from the same read
};

// The experiment's runs as a Plan (`workers` runs at once; totals and warnings are not
// rebuilt). InputError naming the store and the run when a stored config or plan is
// unreadable.
StoredPlan stored_plan(const RunStore& store, const ExperimentRecord& experiment, int workers);

}  // namespace scalelab::sweep
