// defines: scalelab::fit::Observation, scalelab::fit::Observations
//
// What the fit layer works on: points of (N, D, C, loss), optionally grouped into runs
// with a step (whole loss curves, for approach 1 and for bootstrapping over runs). The
// fit layer knows nothing of training; these come from a CSV/JSONL file (published data
// such as the Chinchilla points) or from scalelab's own run store.
#pragma once

#include <limits>
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
  size_t row = 0;     // 1-based data row of the file it was read from (0: not from a file)
  std::string name;   // the row's name (ColumnNames::name), empty when not read
  // A downstream metric of the run, e.g. average top-1 error (ColumnNames::error); NaN when
  // not read or empty. Not used by loss laws; the error law (error_law.h) fits it on loss.
  double error = std::numeric_limits<double>::quiet_NaN();
};

using Observations = std::vector<Observation>;

}  // namespace scalelab::fit
