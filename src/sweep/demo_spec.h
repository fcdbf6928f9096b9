// defines: scalelab::sweep::demo_spec_text, scalelab::sweep::demo_spec
//
// The experiment `scalelab demo` runs, shipped inside the binary so the demo works from
// any directory: a ladder of small GPTs on the Brown corpus (data.path empty = the demo
// corpus that scripts/prepare_brown caches), WSD branches for several token budgets per
// size, and one larger held-out run forecast before it trains. `scalelab demo --print-spec`
// prints it, as a starting point for one's own spec.
#pragma once

#include <string>

#include "sweep/spec.h"

namespace scalelab::sweep {

const std::string& demo_spec_text();
ExperimentSpec demo_spec();  // parsed, source "<demo spec>"

}  // namespace scalelab::sweep
