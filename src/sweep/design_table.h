// defines: scalelab::sweep::format_design_check
//
// `scalelab plan`'s design check: before anything trains, how well the ladder's final
// points will determine the Chinchilla law that the sweep fits (approach 3), and how sure
// the held-out forecasts will be (fit/design_check.h: the Fisher information at the
// planned (N, D) points, in a prior world of the usual shape, with the final losses'
// noise as a fraction of the loss). Parameters whose expected 90% interval is wider than
// +-30% are flagged, and a parameter the design cannot see at all is a warning with
// what to change.
//
//   fmt::print("{}", format_design_check(plan, 0.01));
//   fmt::print("{}", format_design_check(plan, 0.01, &earlier_fit));   // that world instead
#pragma once

#include <string>

#include "fit/fit_result.h"
#include "sweep/planner.h"

namespace scalelab::sweep {

// The block of text: one line per parameter and per held-out run, then the warnings. The
// prior world is `prior` (a Chinchilla fit, e.g. of an earlier ladder of the same
// family) when given, else fit::chinchilla_prior's shape scaled to the ladder.
std::string format_design_check(const Plan& plan, double noise, const fit::FitResult* prior = nullptr);

}  // namespace scalelab::sweep
