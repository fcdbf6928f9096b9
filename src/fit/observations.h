// defines: scalelab::fit::Observation, scalelab::fit::Observations
//
// What the fit layer works on: points of (N, D, C, loss), optionally grouped into runs
// with a step (whole loss curves, for approach 1 and for bootstrapping over runs). The
// fit layer knows nothing of training; these come from a CSV/JSONL file (published data
// such as the Chinchilla points) or from scalelab's own run store.
#pragma once

#include <string>
#include <vector>

namespace scalelab::fit {

struct Observation {
  double N = 0;       // parameters (the convention is the data's; scalelab exports params_nonembedding)
  double D = 0;       // training tokens seen
  double C = 0;       // training FLOPs (6ND unless the data says otherwise)
  double loss = 0;    // nats per token
  double U = 0;       // unique tokens available (data-constrained law); 0 when unknown
  std::string run;    // points sharing a run are resampled together by the bootstrap
  double step = 0;    // position along a run's curve
};

using Observations = std::vector<Observation>;

}  // namespace scalelab::fit
