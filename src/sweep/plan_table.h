// defines: scalelab::sweep::format_plan
//
// `scalelab plan`'s table: one row per run (N, D, C, tokens per parameter, epochs, LR,
// WSD trunk or fork, estimated time), then totals, the compute WSD reuse saves, the
// wall-time estimate on the workers, and the planner's warnings.
#pragma once

#include <string>

#include "sweep/planner.h"

namespace scalelab::sweep {

std::string format_plan(const Plan& plan);

}  // namespace scalelab::sweep
