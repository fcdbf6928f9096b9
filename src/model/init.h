// defines: scalelab::init_params, scalelab::lr_multiplier, scalelab::decays
//
// Initialisation and per-tensor optimizer factors for the two parameterisations.
//   SP  (GPT-2, Radford et al. 2019): weights N(0, init_std^2), residual-output
//       projections scaled by 1/sqrt(2 n_layer), biases 0, LayerNorm weight 1.
//   muP (Yang et al. 2022, "Tensor Programs V", table 3, Adam column): hidden matrices
//       have variance proportional to 1/fan_in and Adam LR proportional to 1/width
//       (both relative to mup_base_width); embeddings, biases and norms keep constant
//       init and LR; the tied readout gets the 1/width logit multiplier
//       (ModelConfig::logit_scale) and attention uses 1/d (ModelConfig::attn_scale).
//
//   ParamLayout layout(cfg);
//   std::vector<float> p(layout.total());
//   init_params(layout, p.data(), /*seed=*/1337);
#pragma once

#include <cstdint>

#include "model/param_layout.h"

namespace scalelab {

// Fills a host buffer of layout.total() floats. Each tensor draws from its own stream
// (Rng::split by tensor index), so the values do not depend on the order of filling.
void init_params(const ParamLayout& layout, float* params, uint64_t seed);

// Multiplier on the base learning rate for one tensor (1 under SP).
double lr_multiplier(const ParamLayout& layout, ParamId id);

// Whether AdamW's decoupled weight decay applies: matrices yes; norms and biases never;
// embeddings only when decay_embeddings is set.
bool decays(const ParamLayout& layout, ParamId id, bool decay_embeddings);

}  // namespace scalelab
