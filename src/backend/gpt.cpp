#include "backend/gpt.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/init.h"

namespace scalelab {

namespace {

// Hands out consecutive slices of one buffer; with base == nullptr it only counts, so the
// same carving code sizes the buffer and then fills in the pointers. take() is n floats;
// take_act() is n activations of act_bytes each (backend.h). With fp32 activations the
// slices are packed exactly (model/accounting.h activation_floats counts them); with
// narrower ones every slice starts on a 256-byte boundary, which tensor-core kernels want.
struct Carver {
  float* base;
  size_t act_bytes = sizeof(float);
  size_t used = 0;
  float* take(size_t n) {
    if (act_bytes != sizeof(float)) n = (n + 63) / 64 * 64;
    float* p = base ? base + used : nullptr;
    used += n;
    return p;
  }
  float* take_act(size_t n) { return take((n * act_bytes + sizeof(float) - 1) / sizeof(float)); }
};

const ModelConfig& validated(const ModelConfig& cfg) {
  cfg.validate();  // before ParamLayout sizes anything from it
  return cfg;
}

}  // namespace

Gpt::Gpt(const ModelConfig& cfg, Backend& backend, int max_batch)
    : cfg_(cfg), layout_(validated(cfg)), be_(backend), max_batch_(max_batch) {
  SL_REQUIRE(max_batch >= 1, "train.batch_size: expected >= 1, got {}", max_batch);
  const size_t P = layout_.total();
  params_ = be_.alloc(P);
  grads_ = be_.alloc(P);
  m_ = be_.alloc(P);
  v_ = be_.alloc(P);

  const size_t B = static_cast<size_t>(max_batch), T = static_cast<size_t>(cfg.seq_len);
  const size_t C = static_cast<size_t>(cfg.d_model), V = static_cast<size_t>(cfg.vocab);
  const size_t L = static_cast<size_t>(cfg.n_layer), N = B * T;
  const size_t att_floats = be_.attention_state_floats(max_batch, static_cast<int>(T), static_cast<int>(cfg.n_head));

  // Two passes: count, allocate, then carve (order as model/accounting.h activation_floats).
  blocks_.resize(L);
  for (int pass = 0; pass < 2; ++pass) {
    Carver a{pass == 0 ? nullptr : acts_, be_.activation_bytes()};
    encoded_ = a.take_act(N * C);
    for (auto& bl : blocks_) {
      bl.ln1 = a.take_act(N * C);
      bl.ln1_mean = a.take(N);
      bl.ln1_rstd = a.take(N);
      bl.qkv = a.take_act(N * 3 * C);
      bl.atty = a.take_act(N * C);
      bl.att = a.take(att_floats);
      bl.attproj = a.take_act(N * C);
      bl.residual2 = a.take_act(N * C);
      bl.ln2 = a.take_act(N * C);
      bl.ln2_mean = a.take(N);
      bl.ln2_rstd = a.take(N);
      bl.fch = a.take_act(N * 4 * C);
      bl.fch_gelu = a.take_act(N * 4 * C);
      bl.fcproj = a.take_act(N * C);
      bl.residual3 = a.take_act(N * C);
    }
    lnf_ = a.take_act(N * C);
    lnf_mean_ = a.take(N);
    lnf_rstd_ = a.take(N);
    logits_ = a.take_act(N * V);
    losses_ = a.take(N);
    if (pass == 0) {
      act_total_ = a.used;
      acts_ = be_.alloc(act_total_);
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    Carver s{pass == 0 ? nullptr : scratch_, be_.activation_bytes()};
    dresidual_ = s.take_act(N * C);
    dbuf_c_ = s.take_act(N * C);
    dbuf_c2_ = s.take_act(N * C);
    dbuf_4c_ = s.take_act(N * 4 * C);
    dbuf_4c2_ = s.take_act(N * 4 * C);
    if (pass == 0) {
      scratch_total_ = s.used;
      scratch_ = be_.alloc(scratch_total_);
    }
  }
  inputs_ = be_.alloc_i32(N);
  targets_ = be_.alloc_i32(N);
}

Gpt::~Gpt() {
  for (void* p : {static_cast<void*>(params_), static_cast<void*>(grads_), static_cast<void*>(m_),
                  static_cast<void*>(v_), static_cast<void*>(acts_), static_cast<void*>(scratch_),
                  static_cast<void*>(inputs_), static_cast<void*>(targets_)}) {
    if (p) be_.free(p);
  }
}

void Gpt::init(uint64_t seed) {
  std::vector<float> host(layout_.total());
  init_params(layout_, host.data(), seed);
  set_params(host.data());
}

void Gpt::set_params(const float* host) { be_.upload(params_, host, layout_.total()); }
void Gpt::get_params(float* host) const { be_.download(host, params_, layout_.total()); }
void Gpt::get_grads(float* host) const { be_.download(host, grads_, layout_.total()); }

void Gpt::set_optimizer_state(const float* m, const float* v) {
  be_.upload(m_, m, layout_.total());
  be_.upload(v_, v, layout_.total());
}

void Gpt::get_optimizer_state(float* m, float* v) const {
  be_.download(m, m_, layout_.total());
  be_.download(v, v_, layout_.total());
}

void Gpt::check_batch(const int32_t* inputs, const int32_t* targets, int B, int T) const {
  SL_REQUIRE(B >= 1 && B <= max_batch_, "batch size: expected 1..{} (the model's max_batch), got {}", max_batch_, B);
  SL_REQUIRE(T >= 1 && T <= cfg_.seq_len, "sequence length: expected 1..{} (model.seq_len), got {}", cfg_.seq_len,
             T);
  SL_REQUIRE(inputs != nullptr, "inputs: expected {} token ids, got nullptr", B * T);
  // A token outside [0, vocab) would index past wte: check here, once, on the host.
  const size_t n = static_cast<size_t>(B) * static_cast<size_t>(T);
  for (size_t i = 0; i < n; ++i) {
    SL_REQUIRE(inputs[i] >= 0 && inputs[i] < cfg_.vocab, "inputs[{}]: token {} outside [0, model.vocab = {})", i,
               inputs[i], cfg_.vocab);
    if (targets)
      SL_REQUIRE(targets[i] < cfg_.vocab, "targets[{}]: token {} outside [0, model.vocab = {})", i, targets[i],
                 cfg_.vocab);
  }
}

// Forward pass; with dloss_total != 0 the crossentropy op also leaves
// d(dloss_total * mean loss)/d logits in logits_. Returns the mean loss over positions
// with a target (NaN when none) and whether there were any.
double Gpt::run_forward(const int32_t* inputs, const int32_t* targets, int B, int T, float dloss_total,
                        bool* has_targets) {
  check_batch(inputs, targets, B, T);
  const int C = static_cast<int>(cfg_.d_model), NH = static_cast<int>(cfg_.n_head), V = static_cast<int>(cfg_.vocab);
  const int N = B * T;
  const size_t n = static_cast<size_t>(N);
  const float scale = static_cast<float>(cfg_.attn_scale());
  SL_ASSERT(be_.attention_state_floats(B, T, NH) <=
            be_.attention_state_floats(max_batch_, static_cast<int>(cfg_.seq_len), NH));

  std::vector<int32_t> tg(n, -1);
  size_t count = 0;
  if (targets)
    for (size_t i = 0; i < n; ++i) {
      tg[i] = targets[i];
      count += targets[i] >= 0;
    }
  be_.upload_i32(inputs_, inputs, n);
  be_.upload_i32(targets_, tg.data(), n);

  const ParamViews<float> p(layout_, params_);
  const size_t Cz = static_cast<size_t>(C);
  be_.encoder_forward(encoded_, inputs_, p.wte, p.wpe, B, T, C);
  // Each residual addition is fused with the LayerNorm that reads it (the next block's
  // ln1, or lnf after the last block); on the CPU the fused ops are the plain composition.
  if (blocks_.empty())
    be_.layernorm_forward(lnf_, lnf_mean_, lnf_rstd_, encoded_, p.lnfw, p.lnfb, N, C);
  else
    be_.layernorm_forward(blocks_[0].ln1, blocks_[0].ln1_mean, blocks_[0].ln1_rstd, encoded_, p.ln1w, p.ln1b, N, C);
  const float* residual = encoded_;
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const BlockActs& a = blocks_[l];
    be_.matmul_forward(a.qkv, a.ln1, p.qkvw + l * 3 * Cz * Cz, p.qkvb + l * 3 * Cz, N, C, 3 * C);
    be_.attention_forward(a.atty, a.att, a.qkv, B, T, C, NH, scale);
    be_.matmul_forward(a.attproj, a.atty, p.attprojw + l * Cz * Cz, p.attprojb + l * Cz, N, C, C);
    be_.residual_layernorm_forward(a.residual2, a.ln2, a.ln2_mean, a.ln2_rstd, residual, a.attproj,
                                   p.ln2w + l * Cz, p.ln2b + l * Cz, N, C);
    be_.matmul_gelu_forward(a.fch_gelu, a.fch, a.ln2, p.fcw + l * 4 * Cz * Cz, p.fcb + l * 4 * Cz, N, C, 4 * C);
    be_.matmul_forward(a.fcproj, a.fch_gelu, p.fcprojw + l * 4 * Cz * Cz, p.fcprojb + l * Cz, N, 4 * C, C);
    if (l + 1 < blocks_.size()) {
      const BlockActs& next = blocks_[l + 1];
      be_.residual_layernorm_forward(a.residual3, next.ln1, next.ln1_mean, next.ln1_rstd, a.residual2, a.fcproj,
                                     p.ln1w + (l + 1) * Cz, p.ln1b + (l + 1) * Cz, N, C);
    } else {
      be_.residual_layernorm_forward(a.residual3, lnf_, lnf_mean_, lnf_rstd_, a.residual2, a.fcproj, p.lnfw, p.lnfb,
                                     N, C);
    }
    residual = a.residual3;
  }
  // Readout tied to the token embedding: logits = lnf @ wte^T, (N,V).
  be_.matmul_forward(logits_, lnf_, p.wte, nullptr, N, C, V);
  // d(dloss_total * sum_i losses_i / count)/d logits: every position weighs 1/count.
  const float dloss = count > 0 ? dloss_total / static_cast<float>(count) : 0.0f;
  be_.crossentropy_forward_backward(logits_, losses_, targets_, N, V, static_cast<float>(cfg_.logit_scale()), dloss);
  last_B_ = B;
  last_T_ = T;
  logits_valid_ = dloss == 0.0f;
  *has_targets = count > 0;
  if (count == 0) return std::numeric_limits<double>::quiet_NaN();
  // The per-position losses are needed on the host anyway (probes); N floats, summed in
  // a fixed order so the mean is deterministic.
  std::vector<float> losses(n);
  be_.download(losses.data(), losses_, n);
  double sum = 0;
  for (float x : losses) sum += x;
  return sum / static_cast<double>(count);
}

double Gpt::forward(const int32_t* inputs, const int32_t* targets, int B, int T) {
  bool has_targets = false;
  return run_forward(inputs, targets, B, T, 0.0f, &has_targets);
}

double Gpt::forward_backward(const int32_t* inputs, const int32_t* targets, int B, int T, float loss_scale) {
  SL_REQUIRE(targets != nullptr, "targets: forward_backward needs {} target ids, got nullptr", B * T);
  bool has_targets = false;
  double loss = run_forward(inputs, targets, B, T, loss_scale, &has_targets);
  // No target, or a zero scale: the gradient is zero and nothing is accumulated.
  if (has_targets && loss_scale != 0.0f) run_backward(B, T);
  logits_valid_ = false;
  return loss;
}

// Backward through the ops of run_forward in reverse (llm.c gpt2_backward order). Every
// backward op accumulates, so each scratch gradient is zeroed right before its producer.
void Gpt::run_backward(int B, int T) {
  const int C = static_cast<int>(cfg_.d_model), NH = static_cast<int>(cfg_.n_head), V = static_cast<int>(cfg_.vocab);
  const int N = B * T;
  const size_t n = static_cast<size_t>(N), Cz = static_cast<size_t>(C);
  const float scale = static_cast<float>(cfg_.attn_scale());
  const ParamViews<float> p(layout_, params_);
  ParamViews<float> g(layout_, grads_);

  // logits_ now holds d loss / d logits. Readout: d lnf and the tied wte's first use.
  be_.zero_activations(dbuf_c_, n * Cz);
  be_.matmul_backward(dbuf_c_, g.wte, nullptr, logits_, lnf_, p.wte, N, C, V);
  be_.zero_activations(dresidual_, n * Cz);
  const float* last = blocks_.empty() ? encoded_ : blocks_.back().residual3;
  be_.layernorm_backward(dresidual_, g.lnfw, g.lnfb, dbuf_c_, last, p.lnfw, lnf_mean_, lnf_rstd_, N, C);

  // dresidual_ holds d loss / d (block output); the skip connections pass it through
  // unchanged and each branch's backward adds its share.
  for (size_t l = blocks_.size(); l-- > 0;) {
    const BlockActs& a = blocks_[l];
    const float* residual = l == 0 ? encoded_ : blocks_[l - 1].residual3;
    // MLP: residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))).
    be_.zero_activations(dbuf_4c2_, n * 4 * Cz);
    be_.matmul_backward(dbuf_4c2_, g.fcprojw + l * 4 * Cz * Cz, g.fcprojb + l * Cz, dresidual_, a.fch_gelu,
                        p.fcprojw + l * 4 * Cz * Cz, N, 4 * C, C);
    be_.zero_activations(dbuf_4c_, n * 4 * Cz);
    be_.gelu_backward(dbuf_4c_, a.fch, dbuf_4c2_, n * 4 * Cz);
    be_.zero_activations(dbuf_c_, n * Cz);
    be_.matmul_backward(dbuf_c_, g.fcw + l * 4 * Cz * Cz, g.fcb + l * 4 * Cz, dbuf_4c_, a.ln2,
                        p.fcw + l * 4 * Cz * Cz, N, C, 4 * C);
    be_.layernorm_backward(dresidual_, g.ln2w + l * Cz, g.ln2b + l * Cz, dbuf_c_, a.residual2, p.ln2w + l * Cz,
                           a.ln2_mean, a.ln2_rstd, N, C);
    // Attention: residual2 = residual + attproj(attention(qkv(ln1(residual)))).
    be_.zero_activations(dbuf_c2_, n * Cz);
    be_.matmul_backward(dbuf_c2_, g.attprojw + l * Cz * Cz, g.attprojb + l * Cz, dresidual_, a.atty,
                        p.attprojw + l * Cz * Cz, N, C, C);
    float* dqkv = dbuf_4c_;  // (N,3C) fits in (N,4C); the MLP's use of it is over
    be_.zero_activations(dqkv, n * 3 * Cz);
    be_.attention_backward(dqkv, dbuf_c2_, a.qkv, a.atty, a.att, B, T, C, NH, scale);
    be_.zero_activations(dbuf_c_, n * Cz);
    be_.matmul_backward(dbuf_c_, g.qkvw + l * 3 * Cz * Cz, g.qkvb + l * 3 * Cz, dqkv, a.ln1,
                        p.qkvw + l * 3 * Cz * Cz, N, C, 3 * C);
    be_.layernorm_backward(dresidual_, g.ln1w + l * Cz, g.ln1b + l * Cz, dbuf_c_, residual, p.ln1w + l * Cz,
                           a.ln1_mean, a.ln1_rstd, N, C);
  }
  // Embeddings: the tied wte's second use; only wpe rows 0..T-1 are touched.
  be_.encoder_backward(g.wte, g.wpe, dresidual_, inputs_, B, T, C);
}

void Gpt::zero_grad() { be_.zero(grads_, layout_.total()); }

double Gpt::grad_norm() { return std::sqrt(be_.sum_squares(grads_, layout_.total())); }

void Gpt::adamw_step(const AdamWConfig& opt, double lr, int64_t step, double grad_scale) {
  SL_REQUIRE(step >= 1, "adamw step: expected a 1-based step, got {}", step);
  for (int i = 0; i < kNumParamTensors; ++i) {
    const auto id = static_cast<ParamId>(i);
    AdamWStep s;
    s.lr = static_cast<float>(lr * lr_multiplier(layout_, id));
    s.beta1 = static_cast<float>(opt.beta1);
    s.beta2 = static_cast<float>(opt.beta2);
    s.eps = static_cast<float>(opt.eps);
    s.weight_decay = decays(layout_, id, opt.decay_embeddings) ? static_cast<float>(opt.weight_decay) : 0.0f;
    s.t = step;
    s.grad_scale = static_cast<float>(grad_scale);
    const size_t off = layout_.offset(id);
    be_.adamw_update(params_ + off, grads_ + off, m_ + off, v_ + off, layout_.size(id), s);
  }
}

void Gpt::get_position_losses(float* host) const {
  SL_REQUIRE(last_B_ > 0, "get_position_losses: no forward pass has run yet");
  be_.download(host, losses_, static_cast<size_t>(last_B_) * static_cast<size_t>(last_T_));
}

void Gpt::get_logits(float* host) const {
  SL_ASSERT(logits_valid_);  // only after forward(); forward_backward overwrites them
  be_.download_activations(host, logits_, static_cast<size_t>(last_B_) * static_cast<size_t>(last_T_) *
                                              static_cast<size_t>(cfg_.vocab));
}

void Gpt::get_block_output(int layer, float* host) const {
  SL_REQUIRE(layer >= 0 && layer < cfg_.n_layer, "layer: expected 0..{}, got {}", cfg_.n_layer - 1, layer);
  SL_REQUIRE(last_B_ > 0, "get_block_output: no forward pass has run yet");
  be_.download_activations(host, blocks_[static_cast<size_t>(layer)].residual3,
               static_cast<size_t>(last_B_) * static_cast<size_t>(last_T_) * static_cast<size_t>(cfg_.d_model));
}

}  // namespace scalelab
