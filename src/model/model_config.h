// defines: scalelab::ModelConfig, scalelab::Parameterization
//
// The GPT-2 shape from a few knobs (llm.c gpt2_set_hyperparameters is the model):
//
//   ModelConfig m;               // defaults: a 2-layer, 64-wide byte-level model
//   ConfigBinder b; m.bind(b);   // keys model.n_layer, model.d_model, ...
//   b.apply_set("model.d_model=128");
//   m.validate();                // InputError naming the field
//
// Decoder-only transformer (Radford et al. 2019): token + learned position embeddings,
// n_layer pre-LayerNorm blocks (causal multi-head attention, 4x GELU-tanh MLP), final
// LayerNorm, output projection tied to the token embedding.
#pragma once

#include <cstdint>
#include <string>

namespace scalelab {

class ConfigBinder;

enum class Parameterization { kStandard, kMup };

struct ModelConfig {
  int64_t n_layer = 2;     // transformer blocks
  int64_t d_model = 64;    // residual stream width C
  int64_t n_head = 2;      // attention heads; head size = d_model / n_head
  int64_t seq_len = 128;   // context length T (also the number of position embeddings)
  int64_t vocab = 256;     // V; 256 for the byte tokenizer
  std::string parameterization = "sp";  // "sp" (standard) or "mup" (Yang et al. 2022)
  double init_std = 0.02;              // SP weight std (GPT-2); muP: the std at the base width
  int64_t mup_base_width = 64;         // muP: width at which muP and SP coincide
  double mup_output_mult = 1.0;        // muP: logits multiplier at the base width
  double mup_attn_mult = 1.0;          // muP: multiplier on the 1/head_size attention scale (see attn_scale())

  void bind(ConfigBinder& b);
  void validate() const;  // throws InputError naming the field

  Parameterization param() const {
    return parameterization == "mup" ? Parameterization::kMup : Parameterization::kStandard;
  }
  int64_t head_size() const { return d_model / n_head; }
  // muP width multiplier d_model / base width (1 under SP).
  double width_mult() const;
  // Scale of q.k in attention: 1/sqrt(head size) under SP; mup_attn_mult/head size under
  // muP (Yang et al. 2022, sec. 4).
  double attn_scale() const;
  // Multiplier on the logits: 1 under SP; mup_output_mult / width_mult under muP
  // (the readout layer's 1/width, Yang et al. 2022 table 3).
  double logit_scale() const;
};

}  // namespace scalelab
