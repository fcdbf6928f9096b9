// The whole model on the CUDA backend against the CPU backend (issue 5, "Tests"):
//   fp32 mode: logits, loss and the gradient of every parameter tensor of a Gpt on the GPU
//              against a Gpt on the CPU with the same parameters and batch, each tensor
//              within kTolFp32 = 1e-4 (the issue asks 1e-3; fp32 on both sides does better).
//   tf32 mode: the same within kTolTf32 = 1e-2 (TF32 products round their inputs to a 10-bit
//              mantissa, ~5e-4 each; through two blocks and the backward that adds up).
//   bf16 mode: 200 AdamW steps on both backends from the same initialisation and batches;
//              the loss on a fixed held-out batch, every 20 steps, within 2% of the CPU
//              fp32 curve.
// Relative error of a tensor: max_i |gpu_i - cpu_i| / max_i |cpu_i| (optest::rel_err), so
// entries that cancel to near zero do not blow the ratio up.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../backend/gpt_test_util.h"
#include "backend/backend.h"
#include "backend/gpt.h"
#include "core/rng.h"
#include "gpu_test_util.h"
#include "model/model_config.h"
#include "model/param_layout.h"

namespace scalelab {
namespace {

using optest::rel_err;
using optest::to_double;

constexpr double kTolFp32 = 1e-4;
constexpr double kTolTf32 = 1e-2;

// 2 blocks, C = 64, 4 heads of 16, T = 64 (two attention tiles), byte vocabulary.
ModelConfig tiny_gpu_config(int64_t vocab = 256) {
  ModelConfig cfg;
  cfg.n_layer = 2;
  cfg.d_model = 64;
  cfg.n_head = 4;
  cfg.seq_len = 64;
  cfg.vocab = vocab;
  cfg.init_std = 0.05;  // larger than GPT-2's 0.02, so attention is far from uniform
  return cfg;
}

// Forward and forward_backward on both backends; logits, loss and each gradient tensor
// compared (the GPU at precision p against the CPU in fp32).
void check_model_parity(Precision p, const ModelConfig& cfg, int B, int T, double tol) {
  auto cpu = make_backend("cpu", 0);  // every core of the GPU machine
  auto gpu = gputest::gpu_backend(p);
  Gpt g_cpu(cfg, *cpu, B), g_gpu(cfg, *gpu, B);
  const std::vector<float> params = testing::random_params(cfg, 11);
  g_cpu.set_params(params.data());
  g_gpu.set_params(params.data());
  const size_t n = static_cast<size_t>(B) * T;
  auto inputs = testing::random_tokens(n, cfg.vocab, 1), targets = testing::random_tokens(n, cfg.vocab, 2);
  targets[0] = -1;  // ignored positions
  targets[n / 2] = -1;
  const std::string what = fmt::format("{} V={} B={} T={}", precision_name(p), cfg.vocab, B, T);

  const double loss_cpu = g_cpu.forward(inputs.data(), targets.data(), B, T);
  const double loss_gpu = g_gpu.forward(inputs.data(), targets.data(), B, T);
  EXPECT_NEAR(loss_gpu, loss_cpu, tol * loss_cpu) << what;
  std::vector<float> logits_cpu(n * cfg.vocab), logits_gpu(n * cfg.vocab);
  g_cpu.get_logits(logits_cpu.data());
  g_gpu.get_logits(logits_gpu.data());
  EXPECT_LT(rel_err(logits_gpu, to_double(logits_cpu)), tol) << what << ": logits";

  g_cpu.zero_grad();
  g_gpu.zero_grad();
  const double tl_cpu = g_cpu.forward_backward(inputs.data(), targets.data(), B, T, 1.0f);
  const double tl_gpu = g_gpu.forward_backward(inputs.data(), targets.data(), B, T, 1.0f);
  EXPECT_NEAR(tl_gpu, tl_cpu, tol * tl_cpu) << what;
  EXPECT_NEAR(g_gpu.grad_norm(), g_cpu.grad_norm(), tol * g_cpu.grad_norm()) << what;
  std::vector<float> grads_cpu(g_cpu.num_params()), grads_gpu(g_gpu.num_params());
  g_cpu.get_grads(grads_cpu.data());
  g_gpu.get_grads(grads_gpu.data());
  const ParamLayout& layout = g_cpu.layout();
  for (int i = 0; i < kNumParamTensors; ++i) {
    const auto id = static_cast<ParamId>(i);
    const auto first = static_cast<std::ptrdiff_t>(layout.offset(id));
    const auto last = first + static_cast<std::ptrdiff_t>(layout.size(id));
    const std::vector<float> a(grads_gpu.begin() + first, grads_gpu.begin() + last);
    const std::vector<double> b(grads_cpu.begin() + first, grads_cpu.begin() + last);
    EXPECT_LT(rel_err(a, b), tol) << what << ": gradient of " << layout.info(id).name;
  }
}

TEST(CudaModel, Fp32MatchesCpu) {
  SCALELAB_SKIP_WITHOUT_GPU();
  check_model_parity(Precision::fp32, tiny_gpu_config(), 4, 64, kTolFp32);
  check_model_parity(Precision::fp32, tiny_gpu_config(), 3, 45, kTolFp32);  // T < seq_len, not a tile multiple
}

TEST(CudaModel, Fp32MatchesCpuAtGpt2Vocab) {
  SCALELAB_SKIP_WITHOUT_GPU();
  check_model_parity(Precision::fp32, tiny_gpu_config(50257), 2, 32, kTolFp32);
}

TEST(CudaModel, Tf32MatchesCpu) {
  SCALELAB_SKIP_WITHOUT_GPU();
  check_model_parity(Precision::tf32, tiny_gpu_config(), 4, 64, kTolTf32);
}

// A learnable stream: a fixed random Markov chain over the vocabulary in which each token
// has 4 successors, taken with probabilities 0.55, 0.25, 0.15, 0.05 (entropy 1.1 nats),
// so the loss falls well below log(256) = 5.5 within 200 steps.
class MarkovStream {
 public:
  MarkovStream(int vocab, uint64_t seed) : vocab_(vocab), next_(static_cast<size_t>(vocab) * 4) {
    Rng rng(seed);
    for (auto& t : next_) t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab)));
  }
  // B sequences of T + 1 tokens from `seed`: inputs are tokens 0..T-1, targets 1..T.
  void batch(uint64_t seed, int B, int T, std::vector<int32_t>* inputs, std::vector<int32_t>* targets) const {
    Rng rng(seed);
    inputs->resize(static_cast<size_t>(B) * T);
    targets->resize(inputs->size());
    for (int b = 0; b < B; ++b) {
      auto tok = static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab_)));
      for (int t = 0; t < T; ++t) {
        (*inputs)[static_cast<size_t>(b) * T + t] = tok;
        const double u = rng.uniform();
        const int k = u < 0.55 ? 0 : u < 0.80 ? 1 : u < 0.95 ? 2 : 3;
        tok = next_[static_cast<size_t>(tok) * 4 + k];
        (*targets)[static_cast<size_t>(b) * T + t] = tok;
      }
    }
  }

 private:
  int vocab_;
  std::vector<int32_t> next_;
};

struct TrainSetup {
  ModelConfig cfg = tiny_gpu_config();
  int B = 4, T = 64, steps = 200, eval_every = 20, eval_B = 8;
  double lr = 3e-3, grad_clip = 1.0;
  int warmup = 20;
};

// Held-out losses at steps 0, eval_every, ..., steps: the Trainer's step (zero_grad,
// forward_backward, global-norm clipping, AdamW) written out, on the given backend.
std::vector<double> train_curve(Backend& be, const TrainSetup& s) {
  Gpt gpt(s.cfg, be, std::max(s.B, s.eval_B));
  gpt.init(1337);
  const MarkovStream stream(static_cast<int>(s.cfg.vocab), 7);
  std::vector<int32_t> eval_in, eval_tg, in, tg;
  stream.batch(999999, s.eval_B, s.T, &eval_in, &eval_tg);
  std::vector<double> curve;
  for (int step = 0;; ++step) {
    if (step % s.eval_every == 0) curve.push_back(gpt.forward(eval_in.data(), eval_tg.data(), s.eval_B, s.T));
    if (step == s.steps) break;
    stream.batch(static_cast<uint64_t>(step), s.B, s.T, &in, &tg);
    gpt.zero_grad();
    gpt.forward_backward(in.data(), tg.data(), s.B, s.T, 1.0f);
    const double norm = gpt.grad_norm();
    const double lr = s.lr * std::min(1.0, (step + 1.0) / s.warmup);
    gpt.adamw_step(AdamWConfig{}, lr, step + 1, norm > s.grad_clip ? s.grad_clip / norm : 1.0);
  }
  return curve;
}

TEST(CudaModel, Bf16LossCurveWithinTwoPercentOfCpu) {
  SCALELAB_SKIP_WITHOUT_GPU();
  const TrainSetup setup;
  auto cpu = make_backend("cpu", 0);  // every core of the GPU machine
  auto gpu = make_backend("cuda", 0, "bf16");
  const std::vector<double> want = train_curve(*cpu, setup), got = train_curve(*gpu, setup);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(want.size(), static_cast<size_t>(setup.steps / setup.eval_every + 1));
  for (size_t i = 0; i < want.size(); ++i) {
    const int step = static_cast<int>(i) * setup.eval_every;
    ASSERT_TRUE(std::isfinite(got[i])) << "step " << step;
    EXPECT_LT(std::abs(got[i] - want[i]), 0.02 * want[i])
        << "step " << step << ": bf16 GPU loss " << got[i] << ", fp32 CPU loss " << want[i];
  }
  // The curve must actually move, or agreement would say little.
  EXPECT_LT(want.back(), 0.8 * want.front()) << "the CPU run did not learn";
}

// Two identical forward_backward calls give the same loss and gradients, bit for bit.
TEST(CudaModel, DeterministicForwardBackward) {
  SCALELAB_SKIP_WITHOUT_GPU();
  for (Precision p : gputest::all_precisions()) {
    const ModelConfig cfg = tiny_gpu_config();
    auto gpu = gputest::gpu_backend(p);
    Gpt gpt(cfg, *gpu, 2);
    gpt.init(5);
    auto inputs = testing::random_tokens(2 * 64, cfg.vocab, 3), targets = testing::random_tokens(2 * 64, cfg.vocab, 4);
    std::vector<float> g1(gpt.num_params()), g2(gpt.num_params());
    gpt.zero_grad();
    const double l1 = gpt.forward_backward(inputs.data(), targets.data(), 2, 64, 1.0f);
    gpt.get_grads(g1.data());
    gpt.zero_grad();
    const double l2 = gpt.forward_backward(inputs.data(), targets.data(), 2, 64, 1.0f);
    gpt.get_grads(g2.data());
    EXPECT_EQ(l1, l2) << precision_name(p);
    EXPECT_TRUE(optest::bit_equal(g1, g2)) << precision_name(p);
  }
}

TEST(CudaModel, MakeBackendPrecision) {
  SCALELAB_SKIP_WITHOUT_GPU();
  auto be = make_backend("cuda", 0, "bf16");
  EXPECT_EQ(be->name(), "cuda");
  EXPECT_EQ(be->precision(), Precision::bf16);
  EXPECT_EQ(make_backend("cuda", 0)->precision(), Precision::bf16);  // "auto" on cuda
  EXPECT_EQ(make_backend("cuda", 0, "tf32")->precision(), Precision::tf32);
  EXPECT_EQ(make_backend("cuda", 0, "fp32")->precision(), Precision::fp32);
  EXPECT_GE(cuda_device_count(), 1);
  EXPECT_TRUE(cuda_built());
}

}  // namespace
}  // namespace scalelab
