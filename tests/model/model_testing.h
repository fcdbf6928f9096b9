// defines: scalelab::testing::shape, a ModelConfig from the five shape knobs, for the
// accounting tests of tests/model and tests/backend.
#pragma once

#include <cstdint>

#include "model/model_config.h"

namespace scalelab::testing {

inline ModelConfig shape(int64_t L, int64_t C, int64_t NH, int64_t T, int64_t V) {
  ModelConfig cfg;
  cfg.n_layer = L;
  cfg.d_model = C;
  cfg.n_head = NH;
  cfg.seq_len = T;
  cfg.vocab = V;
  return cfg;
}

}  // namespace scalelab::testing
