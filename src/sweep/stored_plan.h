// defines: scalelab::sweep::stored_plan
//
// A plan read back from the run store: what `scalelab sweep` recorded (each run's
// resolved config and its planner facts, RunRow::plan = PlannedRun::plan_json()), so a
// worker on any host that reaches the store trains exactly the runs the sweep planned,
// without the spec file, the corpus size or the --set options the sweep was given.
//
//   RunStore store("lab/store.sqlite");
//   const auto exp = store.experiment("ladder");
//   Plan plan = stored_plan(store, exp, /*workers=*/1);   // runs in id order = plan order
#pragma once

#include "sweep/planner.h"
#include "sweep/run_store.h"

namespace scalelab::sweep {

// The experiment's runs as a Plan (runs in id order, which is the recorded plan's order;
// `workers` runs at once). Totals and warnings are not rebuilt. InputError naming the
// store and the run when a stored config or plan is unreadable.
Plan stored_plan(const RunStore& store, const ExperimentRecord& experiment, int workers);

}  // namespace scalelab::sweep
