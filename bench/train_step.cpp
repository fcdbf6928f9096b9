// bench_train_step: scalelab's training throughput on one model shape, timed cleanly
// (no evaluation, logging or data loading in the timed loop), for
// bench/train_vs_pytorch.sh (CPU) and bench/gpu_train_vs_pytorch.sh (CUDA). Each step is
// what the trainer does:
//   zero_grad; forward_backward(B x T random tokens); grad_norm; clip to 1; adamw_step.
//
//   build/bench/bench_train_step --n_layer 6 --d_model 256 --n_head 8 --seq_len 256
//       --batch 8 --steps 20 --warmup 3 --threads 2 [--profile]
//   build/bench/bench_train_step --device cuda --precision bf16 --n_layer 12 --d_model 768
//       --n_head 12 --seq_len 1024 --vocab 50257 --batch 16 --steps 20 --warmup 5
//       --peak-tflops 790
// prints a human line and a machine line:
//   train_step tokens_per_s <x> gflops <y> ms_per_step <z> device <cpu|cuda>
//       precision <p> tflops_mfu <t> [mfu <m>] [peak_mib <p>]
// (one line; the first three fields keep their place for the CPU script).
// GFLOP/s uses the full FLOP count of Hoffmann et al. 2022, appendix F (every matmul,
// attention logits and softmax, embeddings and output logits; backward = 2 x forward),
// model/accounting.h count_flops().per_token_full.
// tflops_mfu and mfu use the MFU convention of issue 5 and llm.c's gpt2_estimate_mfu:
// 6 N + 6 L C T FLOPs per token with N = every parameter (count_params().total: the tied
// token embedding counted once, the position embedding included; nanoGPT's estimate_mfu
// leaves out the position embedding and counts attention as 12 L C T after PaLM,
// Chowdhery et al. 2022, appendix B). mfu = achieved model FLOP/s over --peak-tflops
// (the card's measured bf16 matmul rate), as a fraction.
//
// On cuda the ops are queued on a stream: the clock is read only after
// CudaBackend::synchronize(), and peak_mib is the most device memory the backend held
// (CudaBackend::peak_bytes(), MiB = 2^20 bytes). Running out of device memory is an error
// (exit code 2), so a script can search for the largest batch that fits.
//
// --profile wraps the backend in a timing decorator and prints seconds per op, so a
// shortfall can be attributed to an op family (the kernels are in src/backend/cpu/ and
// src/backend/cuda/). The decorator adds a clock read per op call (on cuda also a
// synchronisation per op, which removes the overlap of launches with work); the timed
// figures come from runs without it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/blas_runtime.h"
#include "core/simd_path.h"
#include "backend/gpt.h"
#include "core/rng.h"
#include "core/timer.h"
#include "model/accounting.h"
#include "model/model_config.h"
#include "train/throughput.h"
#ifdef SCALELAB_HAS_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace scalelab {
namespace {

struct Options {
  ModelConfig model;
  int batch = 16, steps = 20, warmup = 3, threads = 2;
  bool profile = false;
  std::string device = "cpu";      // make_backend: cpu or cuda
  std::string precision = "auto";  // cpu: fp32; cuda: bf16 (backend.h parse_precision)
  double peak_tflops = 0;          // > 0: also print MFU against this rate (TFLOP/s)
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "bench_train_step: %s\nusage: bench_train_step --n_layer L --d_model C --n_head H "
               "--seq_len T --batch B [--vocab V] [--steps N] [--warmup N] [--threads N] [--device cpu|cuda] "
               "[--precision auto|fp32|tf32|bf16] [--peak-tflops X] [--profile]\n",
               msg.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--profile") {
      o.profile = true;
      continue;
    }
    if (i + 1 >= argc) usage("missing value after " + a);
    if (a == "--device") {
      o.device = argv[++i];
      continue;
    }
    if (a == "--precision") {
      o.precision = argv[++i];
      continue;
    }
    if (a == "--peak-tflops") {
      char* end = nullptr;
      o.peak_tflops = std::strtod(argv[++i], &end);
      if (*end != '\0' || !(o.peak_tflops > 0)) usage("--peak-tflops: expected a positive number (TFLOP/s)");
      continue;
    }
    char* end = nullptr;
    const long v = std::strtol(argv[++i], &end, 10);
    if (*end != '\0' || v < 0) usage(a + ": expected a non-negative integer");
    if (a == "--n_layer") o.model.n_layer = v;
    else if (a == "--d_model") o.model.d_model = v;
    else if (a == "--n_head") o.model.n_head = v;
    else if (a == "--seq_len") o.model.seq_len = v;
    else if (a == "--vocab") o.model.vocab = v;
    else if (a == "--batch") o.batch = static_cast<int>(v);
    else if (a == "--steps") o.steps = static_cast<int>(v);
    else if (a == "--warmup") o.warmup = static_cast<int>(v);
    else if (a == "--threads") o.threads = static_cast<int>(v);
    else usage("unknown flag " + a);
  }
  if (o.batch < 1 || o.steps < 1 || o.threads < 1) usage("--batch, --steps and --threads must be >= 1");
  return o;
}

// Forwards every call to the wrapped backend and accumulates wall seconds per op. The
// ops run synchronously on the CPU backend, so the clock brackets the work; on an
// asynchronous backend `sync` (waits for queued work) runs before each clock read.
// Every virtual op of Backend is forwarded, the defaulted ones too: a missing forward
// would silently run Backend's default composition instead of the inner backend's own.
class ProfilingBackend final : public Backend {
 public:
  ProfilingBackend(std::unique_ptr<Backend> inner, std::function<void()> sync)
      : in_(std::move(inner)), sync_(std::move(sync)) {}
  const std::map<std::string, double>& seconds() const { return seconds_; }
  void reset() { seconds_.clear(); }

  std::string name() const override { return in_->name(); }
  int threads() const override { return in_->threads(); }
  float* alloc(size_t n) override { return in_->alloc(n); }
  int32_t* alloc_i32(size_t n) override { return in_->alloc_i32(n); }
  void free(void* p) override { in_->free(p); }
  void zero(float* p, size_t n) override { timed("zero", [&] { in_->zero(p, n); }); }
  void upload(float* d, const float* h, size_t n) override { timed("upload", [&] { in_->upload(d, h, n); }); }
  void download(float* h, const float* s, size_t n) override { timed("download", [&] { in_->download(h, s, n); }); }
  void upload_i32(int32_t* d, const int32_t* h, size_t n) override { in_->upload_i32(d, h, n); }
  void upload_activations(float* d, const float* h, size_t n) override {
    timed("upload", [&] { in_->upload_activations(d, h, n); });
  }
  void download_activations(float* h, const float* s, size_t n) override {
    timed("download", [&] { in_->download_activations(h, s, n); });
  }
  void zero_activations(float* p, size_t n) override { timed("zero", [&] { in_->zero_activations(p, n); }); }
  Precision precision() const override { return in_->precision(); }
  size_t activation_bytes() const override { return in_->activation_bytes(); }

  void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T,
                       int C) override {
    timed("encoder_forward", [&] { in_->encoder_forward(out, inp, wte, wpe, B, T, C); });
  }
  void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T,
                        int C) override {
    timed("encoder_backward", [&] { in_->encoder_backward(dwte, dwpe, dout, inp, B, T, C); });
  }
  void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b,
                         int N, int C) override {
    timed("layernorm_forward", [&] { in_->layernorm_forward(out, mean, rstd, inp, w, b, N, C); });
  }
  void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                          const float* mean, const float* rstd, int N, int C) override {
    timed("layernorm_backward", [&] { in_->layernorm_backward(dinp, dw, db, dout, inp, w, mean, rstd, N, C); });
  }
  void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C,
                      int OC) override {
    // Split by output width, so the vocabulary projection shows apart from the blocks'.
    timed(OC == C ? "matmul_forward (C->C)" : "matmul_forward (other)",
          [&] { in_->matmul_forward(out, inp, w, bias, N, C, OC); });
  }
  void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp, const float* w,
                       int N, int C, int OC) override {
    timed(OC == C ? "matmul_backward (C->C)" : "matmul_backward (other)",
          [&] { in_->matmul_backward(dinp, dw, dbias, dout, inp, w, N, C, OC); });
  }
  size_t attention_state_floats(int B, int T, int NH) const override {
    return in_->attention_state_floats(B, T, NH);
  }
  void attention_forward(float* out, float* state, const float* qkv, int B, int T, int C, int NH,
                         float scale) override {
    timed("attention_forward", [&] { in_->attention_forward(out, state, qkv, B, T, C, NH, scale); });
  }
  void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* state,
                          int B, int T, int C, int NH, float scale) override {
    timed("attention_backward", [&] { in_->attention_backward(dqkv, dout, qkv, out, state, B, T, C, NH, scale); });
  }
  void gelu_forward(float* out, const float* inp, size_t n) override {
    timed("gelu_forward", [&] { in_->gelu_forward(out, inp, n); });
  }
  void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) override {
    timed("gelu_backward", [&] { in_->gelu_backward(dinp, inp, dout, n); });
  }
  void residual_forward(float* out, const float* a, const float* b, size_t n) override {
    timed("residual_forward", [&] { in_->residual_forward(out, a, b, n); });
  }
  void residual_layernorm_forward(float* residual, float* out, float* mean, float* rstd, const float* a,
                                  const float* b, const float* w, const float* bias, int N, int C) override {
    timed("residual_layernorm_forward",
          [&] { in_->residual_layernorm_forward(residual, out, mean, rstd, a, b, w, bias, N, C); });
  }
  void matmul_gelu_forward(float* out, float* pre, const float* inp, const float* w, const float* bias, int N,
                           int C, int OC) override {
    timed("matmul_gelu_forward", [&] { in_->matmul_gelu_forward(out, pre, inp, w, bias, N, C, OC); });
  }
  void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                     float logit_scale, float dloss) override {
    timed("crossentropy", [&] { in_->crossentropy_forward_backward(logits, losses, targets, N, V, logit_scale, dloss); });
  }
  double sum_squares(const float* x, size_t n) override {
    double r = 0;
    timed("sum_squares", [&] { r = in_->sum_squares(x, n); });
    return r;
  }
  void adamw_update(float* params, const float* grads, float* m, float* v, size_t n, const AdamWStep& s) override {
    timed("adamw_update", [&] { in_->adamw_update(params, grads, m, v, n, s); });
  }

 private:
  template <class F>
  void timed(const char* op, F&& f) {
    if (sync_) sync_();
    Timer t;
    f();
    if (sync_) sync_();
    seconds_[op] += t.seconds();
  }
  std::unique_ptr<Backend> in_;
  std::function<void()> sync_;  // empty for a synchronous backend
  std::map<std::string, double> seconds_;
};

int run(const Options& o) {
  o.model.validate();
  std::unique_ptr<Backend> backend = make_backend(o.device, o.threads, o.precision);
  // The CUDA backend queues ops on a stream; a clock read must wait for them. Other
  // backends run each op to completion, so `sync` stays empty.
  std::function<void()> sync;
  std::function<size_t()> peak_bytes;  // device memory high-water mark, where the backend has one
  std::string device_name = o.device;
#ifdef SCALELAB_HAS_CUDA
  if (auto* cuda = dynamic_cast<CudaBackend*>(backend.get())) {
    sync = [cuda] { cuda->synchronize(); };
    peak_bytes = [cuda] { return cuda->peak_bytes(); };
    device_name = cuda->device_name();
  }
#endif
  const Precision precision = backend->precision();
  ProfilingBackend* prof = nullptr;
  if (o.profile) {
    auto p = std::make_unique<ProfilingBackend>(std::move(backend), sync);
    prof = p.get();
    backend = std::move(p);
  }
  const int B = o.batch, T = static_cast<int>(o.model.seq_len);
  Gpt gpt(o.model, *backend, B);
  gpt.init(1337);
  time_train_steps(gpt, B, T, o.model.vocab, o.warmup, 0);  // warm-up, untimed
  if (sync) sync();
  if (prof) prof->reset();
  // Our own clock around time_train_steps' (which cannot see the stream), read after the
  // last step's AdamW update has finished on the device.
  Timer timer;
  const StepTiming timing = time_train_steps(gpt, B, T, o.model.vocab, 0, o.steps);
  if (sync) sync();
  const double secs = timer.seconds(), loss = timing.last_loss;

  const double tokens = static_cast<double>(B) * T * o.steps;
  const double tps = tokens / secs;
  const double flops_per_token = count_flops(o.model).per_token_full;
  const double gflops = tps * flops_per_token / 1e9;
  // MFU convention (see the top of this file): 6 N + 6 L C T, N = all parameters.
  const double n_total = static_cast<double>(count_params(o.model).total);
  const double mfu_flops_per_token = 6.0 * n_total + 6.0 * static_cast<double>(o.model.n_layer) *
                                                         static_cast<double>(o.model.d_model) * T;
  const double tflops_mfu = tps * mfu_flops_per_token / 1e12;
  const double peak_mib = peak_bytes ? static_cast<double>(peak_bytes()) / (1024.0 * 1024.0) : 0.0;

  std::printf("scalelab L=%lld C=%lld NH=%lld T=%d B=%d V=%lld threads=%d: %d steps in %.3f s, loss %.4f, "
              "%.0f tokens/s, %.2f GFLOP/s (full count, Hoffmann et al. 2022 app. F: %.3g FLOPs/token)\n",
              static_cast<long long>(o.model.n_layer), static_cast<long long>(o.model.d_model),
              static_cast<long long>(o.model.n_head), T, B, static_cast<long long>(o.model.vocab), o.threads,
              o.steps, secs, loss, tps, gflops, flops_per_token);
  if (o.device == "cpu")
    std::printf("  cpu kernels on the %s SIMD path, OpenBLAS kernels for %s\n", simd::current_path().c_str(),
                blas_core_name());
  std::printf("  device %s%s%s%s, precision %s; %.2f TFLOP/s at 6N + 6LCT = %.4g FLOPs/token (N = %.0f, all "
              "parameters)",
              o.device.c_str(), device_name != o.device ? " (" : "", device_name != o.device ? device_name.c_str() : "",
              device_name != o.device ? ")" : "", precision_name(precision), tflops_mfu, mfu_flops_per_token, n_total);
  if (o.peak_tflops > 0) std::printf(", MFU %.1f%% of %.1f TFLOP/s", 100.0 * tflops_mfu / o.peak_tflops, o.peak_tflops);
  if (peak_bytes) std::printf(", peak device memory %.1f MiB", peak_mib);
  std::printf("\n");
  if (prof) {
    double total = 0;
    for (const auto& [op, s] : prof->seconds()) total += s;
    std::vector<std::pair<double, std::string>> rows;
    for (const auto& [op, s] : prof->seconds()) rows.emplace_back(s, op);
    std::sort(rows.rbegin(), rows.rend());
    std::printf("profile (ms per step; op time %.1f of %.1f ms wall):\n", 1e3 * total / o.steps,
                1e3 * secs / o.steps);
    for (const auto& [s, op] : rows)
      std::printf("  %-26s %8.2f ms  %5.1f%%\n", op.c_str(), 1e3 * s / o.steps, 100.0 * s / secs);
  }
  std::printf("train_step tokens_per_s %.1f gflops %.3f ms_per_step %.3f device %s precision %s tflops_mfu %.3f",
              tps, gflops, 1e3 * secs / o.steps, o.device.c_str(), precision_name(precision), tflops_mfu);
  if (o.device == "cpu") std::printf(" simd %s blas %s", simd::current_path().c_str(), blas_core_name());
  if (o.peak_tflops > 0) std::printf(" mfu %.4f", tflops_mfu / o.peak_tflops);
  if (peak_bytes) std::printf(" peak_mib %.1f", peak_mib);
  std::printf("\n");
  return 0;
}

}  // namespace
}  // namespace scalelab

int main(int argc, char** argv) {
  try {
    scalelab::simd::apply_env();  // SCALELAB_SIMD pins the CPU kernels' SIMD path
    return scalelab::run(scalelab::parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train_step: %s\n", e.what());
    return 2;
  }
}
