// muP coordinate check (Yang et al. 2022, "Tensor Programs V", sec. 5 and fig. 5): train
// models of widths 64, 128, 256, 512 (2 layers, head size 16, so n_head = width / 16) for
// a few AdamW steps at ONE fixed learning rate and measure the per-coordinate RMS of the
// activations afterwards. Under muP every activation's scale is independent of width, so
// the ratio RMS(width 512) / RMS(width 64) stays near 1; under standard parameterisation
// Adam's per-entry updates of size ~lr add up coherently over the fan-in, so the output
// logits grow like width and the residual stream grows too.
//
// Setup: vocab 64, seq_len 16, batch 4, one fixed batch of random tokens (the same for
// every width), init_std 0.02 (muP: at base width 64, mup_attn_mult 4 = sqrt(head size)
// so muP and SP coincide there), 4 AdamW steps (beta1 0.9, beta2 0.95, no weight decay,
// no clipping) at lr = 3e-3. Measured quantities:
//   logits: logit_scale * logits (what the softmax sees), RMS over B*T*V entries;
//   block:  the residual stream after the last block, RMS over B*T*C entries.
// Choice of LR (ratios width 512 / width 64 after 4 steps, measured):
//   lr    muP logits  muP block   SP logits  SP block
//   1e-3    0.77        0.98        5.7        11.2
//   3e-3    0.82        0.90        4.6        24.7
//   1e-2    0.74        0.59        6.0        53.9
// At 1e-2 the base width is already in a strongly nonlinear regime after 4 steps and
// muP's finite-width deviation grows; 3e-3 keeps muP flat with a wide margin while SP's
// updates dominate its activations. (At init, before any step, SP's logits and block
// output already grow 2.6x and 5.6x, from the fixed 0.02 init; muP's block output is flat
// and its logits shrink as 1/sqrt(width), as muP's readout intends.)
// Asserted: under muP every width within [0.5, 2] x width 64; under SP both grow
// monotonically, logits > 2.5x and block output > 4x from 64 to 512.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "backend/gpt.h"
#include "gpt_test_util.h"

namespace scalelab {
namespace {

struct Scales {
  double logits = 0;  // RMS of logit_scale * logits
  double block = 0;   // RMS of the last block's output
};

double rms(const std::vector<float>& x, double scale) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return scale * std::sqrt(s / static_cast<double>(x.size()));
}

Scales train_and_measure(Backend& be, const std::string& param, int64_t width, double lr, int steps) {
  ModelConfig cfg;
  cfg.n_layer = 2;
  cfg.d_model = width;
  cfg.n_head = width / 16;
  cfg.seq_len = 16;
  cfg.vocab = 64;
  cfg.parameterization = param;
  cfg.mup_base_width = 64;
  cfg.mup_attn_mult = 4.0;  // sqrt(head size 16): muP equals SP at the base width
  const int B = 4, T = 16;
  const size_t n = static_cast<size_t>(B * T);
  const auto inputs = testing::random_tokens(n, cfg.vocab, 100);
  const auto targets = testing::random_tokens(n, cfg.vocab, 200);
  Gpt gpt(cfg, be, B);
  gpt.init(42);
  AdamWConfig opt;
  opt.weight_decay = 0;
  for (int step = 1; step <= steps; ++step) {
    gpt.zero_grad();
    gpt.forward_backward(inputs.data(), targets.data(), B, T, 1.0f);
    gpt.adamw_step(opt, lr, step, 1.0);
  }
  gpt.forward(inputs.data(), targets.data(), B, T);
  std::vector<float> logits(n * static_cast<size_t>(cfg.vocab)), block(n * static_cast<size_t>(width));
  gpt.get_logits(logits.data());
  gpt.get_block_output(static_cast<int>(cfg.n_layer - 1), block.data());
  return {rms(logits, cfg.logit_scale()), rms(block, 1.0)};
}

TEST(MupCoordinateCheck, ActivationScalesAreFlatUnderMupAndGrowUnderSp) {
  // One thread: the result is the same for any thread count, and on a loaded 2-core
  // machine one thread avoids OpenMP barrier spinning (4x faster wall time here).
  auto be = make_backend("cpu", 1);
  const double lr = 3e-3;
  const int steps = 4;
  const std::vector<int64_t> widths = {64, 128, 256, 512};
  for (const std::string param : {"mup", "sp"}) {
    std::vector<Scales> s;
    for (int64_t w : widths) {
      s.push_back(train_and_measure(*be, param, w, lr, steps));
      std::printf("coord check %-3s width %4lld: rms(logits) %.4f  rms(block output) %.4f\n", param.c_str(),
                  static_cast<long long>(w), s.back().logits, s.back().block);
    }
    const double r_logits = s.back().logits / s.front().logits, r_block = s.back().block / s.front().block;
    std::printf("coord check %-3s ratio 512/64: logits %.3f  block output %.3f\n", param.c_str(), r_logits, r_block);
    if (param == "mup") {
      // Flat: every width within a factor 2 of the base width.
      for (size_t i = 1; i < s.size(); ++i) {
        SCOPED_TRACE("width " + std::to_string(widths[i]));
        EXPECT_GT(s[i].logits / s[0].logits, 0.5);
        EXPECT_LT(s[i].logits / s[0].logits, 2.0);
        EXPECT_GT(s[i].block / s[0].block, 0.5);
        EXPECT_LT(s[i].block / s[0].block, 2.0);
      }
    } else {
      // Growing: monotone in width, and by a clear factor from 64 to 512.
      for (size_t i = 1; i < s.size(); ++i) {
        EXPECT_GT(s[i].logits, s[i - 1].logits) << "width " << widths[i];
        EXPECT_GT(s[i].block, s[i - 1].block) << "width " << widths[i];
      }
      EXPECT_GT(r_logits, 2.5);
      EXPECT_GT(r_block, 4.0);
    }
  }
}

}  // namespace
}  // namespace scalelab
