#include "model/accounting.h"

#include "core/training_compute.h"

namespace scalelab {

ParamCounts count_params(const ModelConfig& cfg) {
  const int64_t L = cfg.n_layer, C = cfg.d_model, V = cfg.vocab, T = cfg.seq_len;
  // Per block: two LayerNorms (2C each), QKV (3C^2 + 3C), attention output (C^2 + C),
  // MLP up (4C^2 + 4C) and down (4C^2 + C): 12 C^2 + 13 C.
  const int64_t per_block = 12 * C * C + 13 * C;
  ParamCounts n;
  n.embedding = V * C + T * C;
  n.nonembedding = L * per_block + 2 * C;  // + final LayerNorm
  n.total = n.embedding + n.nonembedding;
  return n;
}

FlopCounts count_flops(const ModelConfig& cfg) {
  const double L = static_cast<double>(cfg.n_layer), C = static_cast<double>(cfg.d_model);
  const double V = static_cast<double>(cfg.vocab), T = static_cast<double>(cfg.seq_len);
  const double H = static_cast<double>(cfg.n_head);
  FlopCounts f;
  const double n = static_cast<double>(count_params(cfg).nonembedding);
  f.per_token_6n = training_compute(n, 1.0);
  f.per_token_6n_attn = f.per_token_6n + 6.0 * L * T * C;

  // Hoffmann et al. 2022, appendix F, forward FLOPs of one sequence of length T with
  // key_size * heads = C and ffw_size = 4C:
  const double embeddings = 2.0 * T * V * C;
  const double qkv = 2.0 * 3.0 * T * C * C;
  const double logits_qk = 2.0 * T * T * C;
  const double softmax = 3.0 * H * T * T;
  const double reduction = 2.0 * T * T * C;
  const double attn_out = 2.0 * T * C * C;
  const double dense = 2.0 * T * (C * 4.0 * C + C * 4.0 * C);
  const double final_logits = 2.0 * T * C * V;
  const double forward =
      embeddings + L * (qkv + logits_qk + softmax + reduction + attn_out + dense) + final_logits;
  f.forward_per_token_full = forward / T;
  f.per_token_full = 3.0 * forward / T;  // backward = 2 x forward
  return f;
}

int64_t activation_floats(const ModelConfig& cfg, int64_t B) {
  const int64_t L = cfg.n_layer, C = cfg.d_model, V = cfg.vocab, T = cfg.seq_len, NH = cfg.n_head;
  const int64_t BT = B * T;
  int64_t per_layer = 0;
  per_layer += BT * C + 2 * BT;   // ln1 output, mean, rstd
  per_layer += BT * 3 * C;        // qkv
  per_layer += BT * C;            // attention output (pre-projection)
  per_layer += B * NH * T * T;    // attention probabilities
  per_layer += BT * C;            // attention projection
  per_layer += BT * C;            // residual after attention
  per_layer += BT * C + 2 * BT;   // ln2 output, mean, rstd
  per_layer += BT * 4 * C;        // MLP pre-activation
  per_layer += BT * 4 * C;        // GELU output
  per_layer += BT * C;            // MLP projection
  per_layer += BT * C;            // residual after MLP
  int64_t total = BT * C;         // embeddings sum
  total += L * per_layer;
  total += BT * C + 2 * BT;       // final LayerNorm output, mean, rstd
  total += BT * V;                // logits (overwritten by their gradient)
  total += BT;                    // per-position losses
  return total;
}

}  // namespace scalelab
