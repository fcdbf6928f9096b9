// defines: scalelab::ShapeRule, scalelab::shape_for_params
//
// "A model of about N non-embedding parameters": Kaplan et al. 2020 (sec. 3.1, fig. 5)
// found loss nearly independent of shape at fixed N over a wide range of aspect ratios
// d_model / n_layer, so a ladder keeps the aspect ratio and head size fixed and picks
// depth to hit N:
//
//   ShapeRule rule{.aspect_ratio = 32, .head_size = 16};
//   ModelConfig m = shape_for_params(2e6, rule, base);   // n_layer, d_model, n_head set
#pragma once

#include <cstdint>

#include "model/model_config.h"

namespace scalelab {

struct ShapeRule {
  double aspect_ratio = 32;  // target d_model / n_layer
  int64_t head_size = 16;    // d_model is a multiple of this; n_head = d_model / head_size
};

// The shape, among n_layer = 1..256 with d_model the multiple of head_size nearest
// aspect_ratio * n_layer, whose params_nonembedding is nearest target in log space.
// Other fields (seq_len, vocab, parameterisation) come from `base`.
ModelConfig shape_for_params(double target_nonembedding, const ShapeRule& rule, const ModelConfig& base);

}  // namespace scalelab
