// defines: scalelab::sweep::FitSettings, ExperimentFits, experiment_observations,
//          fit_experiment, forecast_heldout
//
// After a sweep, the scaling laws of its finished non-held-out runs, stored with the
// experiment (RunStore::save_fit): approach 3 (the Chinchilla law with bootstrap CIs)
// always; approach 1 when sizes have several budgets (WSD branches count: the envelope is
// taken over cooled-down final points, one curve per size); approach 2 when the spec has
// IsoFLOP budgets. Held-out runs are forecast from the approach-3 fit before they train.
// Final points off the law (off_law_points.h: a pre-law plateau, a rise with more data)
// are left out of the fits, with a note, while enough points remain.
//
//   ExperimentFits f = fit_experiment(store, exp_id, {});   // saves "approach3", ...
//   Json fc = forecast_heldout(*f.approach3, run);          // {"predicted", "lo", "hi", ...}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "fit/fit_result.h"
#include "fit/observations.h"
#include "sweep/run_store.h"

namespace scalelab::sweep {

struct FitSettings {
  int bootstrap = 200;
  uint64_t seed = 20220329;  // fixed: a stored fit is reproducible
  int threads = 0;
};

struct ExperimentFits {
  std::optional<fit::FitResult> approach3, approach1, approach2;
  std::vector<std::string> notes;  // why an approach was skipped
};

// Final points of the done runs: N = params_nonembedding, D = tokens trained, C = 6ND,
// loss = final validation loss, run = the run's name; `kind` "" = every kind.
fit::Observations experiment_observations(const std::vector<RunRecord>& runs, bool include_heldout,
                                          const std::string& kind = "");

// Fits what the design allows and saves each in the store; InputError when approach 3 is
// impossible (fewer finished runs than the law has parameters).
ExperimentFits fit_experiment(RunStore& store, int64_t experiment_id, const FitSettings& settings);

// The forecast of a planned run from a fit: {"predicted", "lo", "hi", "has_ci", "N", "D",
// "C", "law", "fit_points", "saved_at"}.
Json forecast_heldout(const fit::FitResult& fit, const RunRecord& run);

}  // namespace scalelab::sweep
