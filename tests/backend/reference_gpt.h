// defines: scalelab::ref::gpt_forward (test helper)
//
// A plain forward pass of the whole GPT-2 model built from the reference ops
// (backend/reference_ops.h), templated on the scalar: in double it is the ground truth
// for the whole-model finite-difference gradient check (tests/backend/test_gpt_grad.cpp)
// and for the float model's loss and logits. It shares no code with backend/gpt.cpp
// beyond the op definitions and the parameter layout, so a wrong op order, a wrong view
// offset or a missed gradient path in Gpt shows up as a mismatch.
//
//   ParamLayout layout(cfg);
//   std::vector<double> p(layout.total());           // parameters in layout order
//   ref::GptOutputs<double> out;
//   double loss = ref::gpt_forward(cfg, p.data(), inputs, targets, B, T, &out);
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "backend/reference_ops.h"
#include "model/model_config.h"
#include "model/param_layout.h"

namespace scalelab::ref {

template <class F>
struct GptOutputs {
  std::vector<F> logits;                     // (B*T, V), before logit_scale
  std::vector<F> losses;                     // (B*T), 0 where the target is ignored
  std::vector<std::vector<F>> block_output;  // per layer, (B*T, C) residual after the block
};

// Mean cross-entropy (nats/token) over positions with a target >= 0; NaN when there are
// none or targets is nullptr. `params` holds ParamLayout(cfg).total() values.
template <class F>
double gpt_forward(const ModelConfig& cfg, const F* params, const int32_t* inputs, const int32_t* targets, int B,
                   int T, GptOutputs<F>* out = nullptr) {
  const ParamLayout layout(cfg);
  const ParamViews<const F> p(layout, params);
  const int C = static_cast<int>(cfg.d_model), NH = static_cast<int>(cfg.n_head), V = static_cast<int>(cfg.vocab);
  const int N = B * T;
  const size_t n = static_cast<size_t>(N), Cz = static_cast<size_t>(C);
  const F scale = static_cast<F>(cfg.attn_scale());

  std::vector<F> x(n * Cz), ln(n * Cz), mean(n), rstd(n), qkv(n * 3 * Cz), atty(n * Cz);
  std::vector<F> att(static_cast<size_t>(B) * NH * T * T), proj(n * Cz), h(n * 4 * Cz), hg(n * 4 * Cz);
  encoder_forward<F>(x.data(), inputs, p.wte, p.wpe, B, T, C);
  if (out) out->block_output.clear();
  for (size_t l = 0; l < static_cast<size_t>(cfg.n_layer); ++l) {
    layernorm_forward<F>(ln.data(), mean.data(), rstd.data(), x.data(), p.ln1w + l * Cz, p.ln1b + l * Cz, N, C);
    matmul_forward<F>(qkv.data(), ln.data(), p.qkvw + l * 3 * Cz * Cz, p.qkvb + l * 3 * Cz, N, C, 3 * C);
    attention_forward<F>(atty.data(), att.data(), qkv.data(), B, T, C, NH, scale);
    matmul_forward<F>(proj.data(), atty.data(), p.attprojw + l * Cz * Cz, p.attprojb + l * Cz, N, C, C);
    residual_forward<F>(x.data(), x.data(), proj.data(), n * Cz);
    layernorm_forward<F>(ln.data(), mean.data(), rstd.data(), x.data(), p.ln2w + l * Cz, p.ln2b + l * Cz, N, C);
    matmul_forward<F>(h.data(), ln.data(), p.fcw + l * 4 * Cz * Cz, p.fcb + l * 4 * Cz, N, C, 4 * C);
    gelu_forward<F>(hg.data(), h.data(), n * 4 * Cz);
    matmul_forward<F>(proj.data(), hg.data(), p.fcprojw + l * 4 * Cz * Cz, p.fcprojb + l * Cz, N, 4 * C, C);
    residual_forward<F>(x.data(), x.data(), proj.data(), n * Cz);
    if (out) out->block_output.push_back(x);
  }
  layernorm_forward<F>(ln.data(), mean.data(), rstd.data(), x.data(), p.lnfw, p.lnfb, N, C);
  std::vector<F> logits(n * static_cast<size_t>(V)), losses(n);
  matmul_forward<F>(logits.data(), ln.data(), p.wte, static_cast<const F*>(nullptr), N, C, V);  // tied readout
  std::vector<int32_t> tg(n, -1);
  if (targets) tg.assign(targets, targets + n);
  std::vector<F> z = logits;  // the op would overwrite logits only when dloss != 0
  crossentropy_forward_backward<F>(z.data(), losses.data(), tg.data(), N, V, static_cast<F>(cfg.logit_scale()),
                                   F(0));
  double sum = 0;
  size_t count = 0;
  for (size_t i = 0; i < n; ++i)
    if (tg[i] >= 0) {
      sum += static_cast<double>(losses[i]);
      ++count;
    }
  if (out) {
    out->logits = std::move(logits);
    out->losses = std::move(losses);
  }
  return count > 0 ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace scalelab::ref
