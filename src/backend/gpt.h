// defines: scalelab::AdamWConfig, scalelab::Gpt
//
// The GPT-2 model (Radford et al. 2019), written once against the Backend interface: the
// same sequence of ops runs on every backend. Parameters, gradients and AdamW moments are
// each one contiguous backend buffer laid out by ParamLayout; activations for max_batch x
// seq_len tokens are allocated once (layout as model/accounting.h activation_floats).
//
//   auto be = make_backend("cpu", 2);
//   Gpt gpt(cfg, *be, /*max_batch=*/8);
//   gpt.init(1337);
//   gpt.zero_grad();
//   double loss = gpt.forward_backward(inputs, targets, B, T, 1.0f);   // host int32 (B*T)
//   double norm = gpt.grad_norm();
//   gpt.adamw_step(AdamWConfig{}, lr, step, norm > 1.0 ? 1.0 / norm : 1.0);
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"
#include "model/param_layout.h"

namespace scalelab {

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.1;      // decoupled; applied to the tensors model/init.h decays() selects
  bool decay_embeddings = false;  // also decay wte and wpe
};

class Gpt {
 public:
  // Allocates params, grads, AdamW m and v, and activations for max_batch x seq_len.
  // Throws InputError (naming the field) for an invalid config or max_batch < 1.
  Gpt(const ModelConfig& cfg, Backend& backend, int max_batch);
  ~Gpt();
  Gpt(const Gpt&) = delete;
  Gpt& operator=(const Gpt&) = delete;

  const ModelConfig& config() const { return cfg_; }
  const ParamLayout& layout() const { return layout_; }
  size_t num_params() const { return layout_.total(); }
  int max_batch() const { return max_batch_; }

  void init(uint64_t seed);  // model/init.h init_params on the host, then upload
  void set_params(const float* host);  // layout().total() floats each
  void get_params(float* host) const;
  void get_grads(float* host) const;
  void set_optimizer_state(const float* m, const float* v);
  void get_optimizer_state(float* m, float* v) const;

  // Evaluation: B <= max_batch sequences of T <= seq_len tokens; inputs/targets are host
  // arrays of B*T int32 in [0, vocab). targets may be nullptr (no loss; returns NaN);
  // targets < 0 are ignored. Returns the mean loss (nats/token) over positions with a
  // target (NaN when there are none). Per-position losses and logits stay available
  // until the next call.
  double forward(const int32_t* inputs, const int32_t* targets, int B, int T);
  // Training: forward, then accumulate (+=) the gradients of loss_scale * mean loss.
  // Returns the mean loss. Gradient accumulation over k micro-batches:
  // zero_grad(); k x forward_backward(..., 1.0f / k).
  double forward_backward(const int32_t* inputs, const int32_t* targets, int B, int T, float loss_scale);
  void zero_grad();
  double grad_norm();  // global L2 norm over all gradients
  // AdamW on every tensor: lr * lr_multiplier (muP, model/init.h), weight decay per
  // model/init.h decays(), gradients scaled by grad_scale first (global-norm clipping),
  // bias correction with the 1-based `step`.
  void adamw_step(const AdamWConfig& opt, double lr, int64_t step, double grad_scale);

  void get_position_losses(float* host) const;  // B*T of the last forward (0 where no target)
  void get_logits(float* host) const;  // B*T*V, unscaled (before logit_scale), of the last forward()
  // Residual stream after block `layer` (0-based) of the last forward, B*T*C; for
  // activation-scale diagnostics such as the muP coordinate check.
  void get_block_output(int layer, float* host) const;

  // Floats this model allocated for activations (with fp32 activations exactly
  // model/accounting.h activation_floats; about half the activations' share in bf16) and
  // for backward scratch gradients.
  size_t activation_floats() const { return act_total_; }
  size_t scratch_floats() const { return scratch_total_; }

 private:
  // Backend pointers into the activation buffer for one block; shapes for N = B*T rows.
  struct BlockActs {
    float *ln1, *ln1_mean, *ln1_rstd;  // (N,C), (N), (N)
    float* qkv;                        // (N,3C)
    float* atty;                       // (N,C) attention output before the projection
    float* att;                        // backend attention state (CPU: probabilities (B,NH,T,T))
    float* attproj;                    // (N,C)
    float* residual2;                  // (N,C) residual after attention
    float *ln2, *ln2_mean, *ln2_rstd;  // (N,C), (N), (N)
    float* fch;                        // (N,4C) MLP pre-activation
    float* fch_gelu;                   // (N,4C)
    float* fcproj;                     // (N,C)
    float* residual3;                  // (N,C) block output
  };

  double run_forward(const int32_t* inputs, const int32_t* targets, int B, int T, float dloss_total,
                     bool* has_targets);
  void run_backward(int B, int T);
  void check_batch(const int32_t* inputs, const int32_t* targets, int B, int T) const;

  ModelConfig cfg_;
  ParamLayout layout_;
  Backend& be_;
  int max_batch_;
  float *params_ = nullptr, *grads_ = nullptr, *m_ = nullptr, *v_ = nullptr;
  float* acts_ = nullptr;     // one buffer, carved as below
  float* scratch_ = nullptr;  // backward gradients of activations
  size_t act_total_ = 0, scratch_total_ = 0;
  float* encoded_ = nullptr;  // (N,C) wte[inp] + wpe
  std::vector<BlockActs> blocks_;
  float *lnf_ = nullptr, *lnf_mean_ = nullptr, *lnf_rstd_ = nullptr;  // (N,C), (N), (N)
  float* logits_ = nullptr;   // (N,V); overwritten by d loss / d logits in forward_backward
  float* losses_ = nullptr;   // (N)
  float *dresidual_ = nullptr, *dbuf_c_ = nullptr, *dbuf_c2_ = nullptr;   // (N,C) each
  float *dbuf_4c_ = nullptr, *dbuf_4c2_ = nullptr;                        // (N,4C) each
  int32_t *inputs_ = nullptr, *targets_ = nullptr;                        // (max_batch, seq_len)
  int last_B_ = 0, last_T_ = 0;
  bool logits_valid_ = false;
};

}  // namespace scalelab
