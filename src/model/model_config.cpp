#include "model/model_config.h"

#include <cmath>

#include "core/config.h"
#include "core/error.h"

namespace scalelab {

void ModelConfig::bind(ConfigBinder& b) {
  b.bind("model.n_layer", &n_layer, "transformer blocks");
  b.bind("model.d_model", &d_model, "residual stream width");
  b.bind("model.n_head", &n_head, "attention heads (must divide d_model)");
  b.bind("model.seq_len", &seq_len, "context length in tokens");
  b.bind("model.vocab", &vocab, "vocabulary size (256 for bytes)");
  b.bind("model.parameterization", &parameterization, "\"sp\" or \"mup\"");
  b.bind("model.init_std", &init_std, "weight init std (SP; muP at base width)");
  b.bind("model.mup_base_width", &mup_base_width, "muP base width");
  b.bind("model.mup_output_mult", &mup_output_mult, "muP logit multiplier at base width");
  b.bind("model.mup_attn_mult", &mup_attn_mult, "muP attention multiplier");
}

void ModelConfig::validate() const {
  SL_REQUIRE(n_layer > 0 && n_layer <= 1024, "model.n_layer: expected 1..1024, got {}", n_layer);
  SL_REQUIRE(d_model > 0 && d_model <= 65536, "model.d_model: expected 1..65536, got {}", d_model);
  SL_REQUIRE(n_head > 0, "model.n_head: expected a positive integer, got {}", n_head);
  SL_REQUIRE(d_model % n_head == 0, "model.n_head: {} does not divide model.d_model = {}", n_head, d_model);
  SL_REQUIRE(seq_len > 0 && seq_len <= 1 << 20, "model.seq_len: expected 1..1048576, got {}", seq_len);
  SL_REQUIRE(vocab > 1 && vocab <= 65536, "model.vocab: expected 2..65536 (uint16 tokens), got {}", vocab);
  SL_REQUIRE(parameterization == "sp" || parameterization == "mup",
             "model.parameterization: expected \"sp\" or \"mup\", got \"{}\"", parameterization);
  SL_REQUIRE(init_std > 0 && std::isfinite(init_std), "model.init_std: expected > 0, got {}", init_std);
  SL_REQUIRE(mup_base_width > 0, "model.mup_base_width: expected > 0, got {}", mup_base_width);
  SL_REQUIRE(mup_output_mult > 0, "model.mup_output_mult: expected > 0, got {}", mup_output_mult);
  SL_REQUIRE(mup_attn_mult > 0, "model.mup_attn_mult: expected > 0, got {}", mup_attn_mult);
}

double ModelConfig::width_mult() const {
  return param() == Parameterization::kMup ? static_cast<double>(d_model) / static_cast<double>(mup_base_width)
                                           : 1.0;
}

double ModelConfig::attn_scale() const {
  double hs = static_cast<double>(head_size());
  if (param() == Parameterization::kStandard) return 1.0 / std::sqrt(hs);
  // 1/d scaling (Yang et al. 2022, sec. 4): q.k grows like d once q and k correlate in
  // training, so only 1/d keeps logits width-independent. mup_attn_mult = sqrt(d_base)
  // makes muP agree with SP at head size d_base.
  return mup_attn_mult / hs;
}

double ModelConfig::logit_scale() const {
  if (param() == Parameterization::kStandard) return 1.0;
  return mup_output_mult / width_mult();
}

}  // namespace scalelab
