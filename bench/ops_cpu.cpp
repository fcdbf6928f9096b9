// bench_ops_cpu: speed of each CPU kernel (backend/cpu/) at one training shape, beside
// the machine's sgemm ceiling, so a slow kernel shows up before the whole trainer is
// timed (bench/train_vs_pytorch.sh does that).
//
// For the shape (n_layer, d_model, n_head, seq_len, batch), vocab 256, it times every
// op forward and backward (best of --reps runs, after one warm-up) and prints
// milliseconds, GFLOP/s (matrix products and attention: 2 FLOPs per multiply-add;
// causal attention counts only the unmasked half) and GB/s (bytes read + written once).
// Then it adds the ops up as one training step (n_layer blocks, embeddings, logits,
// cross-entropy, AdamW) and reports that step's achieved GFLOP/s as a share of the
// ceiling: a large square cblas_sgemm threaded by OpenBLAS on the same thread count.
// OpenBLAS runs its AVX2 (Haswell) kernels where the environment says
// OPENBLAS_CORETYPE=Haswell, as on our development machines; its AVX-512 kernels
// (SkylakeX, Cooperlake: chosen from the CPU when the variable is unset) run about 1.8x
// faster there. The core in use is printed with the figures.
//
//   build/bench/bench_ops_cpu --threads 2 --shape 6,256,8,256,8 --reps 5 [--gemm split|blas]
// (--gemm: how matmul uses the threads, backend/cpu/matmul.cpp; split is the default.)
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/blas_runtime.h"
#include "backend/cpu/kernels.h"
#include "core/simd_path.h"
#include "core/rng.h"
#include "core/timer.h"

using namespace scalelab;

namespace {

struct Options {
  int threads = 2;
  int L = 6, C = 256, NH = 8, T = 256, B = 8, V = 256;
  int reps = 5;
  cpu::GemmPolicy policy = cpu::GemmPolicy::kSplitRows;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "bench_ops_cpu: %s\nusage: bench_ops_cpu [--threads N] [--shape L,C,NH,T,B] [--vocab V] "
               "[--reps R] [--gemm split|blas]\n",
               msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    if (a == "--threads") {
      o.threads = std::atoi(v);
    } else if (a == "--reps") {
      o.reps = std::atoi(v);
    } else if (a == "--gemm") {
      if (std::string(v) != "split" && std::string(v) != "blas") usage("--gemm: expected split or blas");
      o.policy = std::string(v) == "split" ? cpu::GemmPolicy::kSplitRows : cpu::GemmPolicy::kBlasThreads;
    } else if (a == "--vocab") {
      o.V = std::atoi(v);
    } else if (a == "--shape") {
      if (std::sscanf(v, "%d,%d,%d,%d,%d", &o.L, &o.C, &o.NH, &o.T, &o.B) != 5) usage("--shape: expected L,C,NH,T,B");
    } else {
      usage(("unknown flag " + a).c_str());
    }
  }
  if (o.threads <= 0 || o.reps <= 0 || o.L <= 0 || o.C <= 0 || o.NH <= 0 || o.C % o.NH || o.T <= 0 || o.B <= 0 ||
      o.V <= 0)
    usage("sizes must be positive and n_head must divide d_model");
  return o;
}

// Best wall time of `reps` calls of f, after one warm-up call.
double best_seconds(int reps, const std::function<void()>& f) {
  f();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    Timer t;
    f();
    best = std::min(best, t.seconds());
  }
  return best;
}

struct Row {
  std::string name;
  double seconds, flops, bytes;
  int per_step;  // how many times a training step runs it
};

void print(const Row& r) {
  std::printf("%-26s %9.3f ms %8.1f GFLOP/s %7.1f GB/s  x%d per step\n", r.name.c_str(), r.seconds * 1e3,
              r.flops / r.seconds * 1e-9, r.bytes / r.seconds * 1e-9, r.per_step);
}

double sgemm_ceiling(int threads, int n, int reps) {
  std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a), c(a.size());
  cpu::blas_set_threads(threads);
  const double s = best_seconds(reps, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  });
  return 2.0 * n * n * n / s * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    simd::apply_env();  // SCALELAB_SIMD pins the kernels' SIMD path
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ops_cpu: %s\n", e.what());
    return 2;
  }
  cpu::set_gemm_policy(o.policy);
  auto be = make_backend("cpu", o.threads);
  const int L = o.L, C = o.C, NH = o.NH, T = o.T, B = o.B, V = o.V, N = B * T;
  const size_t NC = static_cast<size_t>(N) * C;
  std::printf("shape n_layer=%d d_model=%d n_head=%d seq_len=%d batch=%d vocab=%d, threads=%d, gemm=%s, best of %d, "
              "SIMD path %s, OpenBLAS %s\n",
              L, C, NH, T, B, V, o.threads, o.policy == cpu::GemmPolicy::kSplitRows ? "split" : "blas", o.reps,
              simd::current_path().c_str(), blas_core_name());

  Rng rng(1);
  auto filled = [&](size_t n, double scale) {
    float* p = be->alloc(n);
    std::vector<float> h(n);
    for (auto& x : h) x = static_cast<float>(scale * rng.normal());
    be->upload(p, h.data(), n);
    return p;
  };
  std::vector<int32_t> tok(N);
  for (auto& t : tok) t = static_cast<int32_t>(rng.below(V));
  int32_t* d_tok = be->alloc_i32(N);
  be->upload_i32(d_tok, tok.data(), N);

  float *x = filled(NC, 1), *y = filled(NC, 1), *dx = filled(NC, 1), *dy = filled(NC, 1);
  float *w = filled(C, 1), *b = filled(C, 1), *dw = be->alloc(4 * C * static_cast<size_t>(C)), *db = be->alloc(4 * C);
  float *mean = be->alloc(N), *rstd = be->alloc(N);
  float *wte = filled(static_cast<size_t>(V) * C, 0.02), *wpe = filled(static_cast<size_t>(T) * C, 0.02);
  float *big = filled(NC * 4, 1), *dbig = filled(NC * 4, 1), *dbig2 = filled(NC * 4, 1);
  float *wbig = filled(4 * C * static_cast<size_t>(C), 0.05), *bias = filled(4 * C, 1);
  float* dwte = be->alloc(static_cast<size_t>(V) * C);
  float *logits = be->alloc(static_cast<size_t>(N) * V), *losses = be->alloc(N);
  const size_t S = be->attention_state_floats(B, T, NH);
  float* att = be->alloc(S);
  std::vector<Row> rows;
  const int reps = o.reps;
  const double f4 = sizeof(float);

  // Per block: ln1, qkv, attention, proj, residual x2, ln2, fc, gelu, fcproj.
  be->layernorm_forward(y, mean, rstd, x, w, b, N, C);
  rows.push_back({"layernorm fwd", best_seconds(reps, [&] { be->layernorm_forward(y, mean, rstd, x, w, b, N, C); }),
                  8.0 * NC, 2 * NC * f4, 2 * L + 1});
  rows.push_back({"layernorm bwd",
                  best_seconds(reps, [&] { be->layernorm_backward(dx, dw, db, dy, x, w, mean, rstd, N, C); }), 14.0 * NC,
                  4 * NC * f4, 2 * L + 1});
  for (int mult : {3, 1, 4, -4}) {  // qkv, attproj, fc, fcproj (C -> OC)
    const int in = mult > 0 ? C : 4 * C, OC = mult > 0 ? mult * C : C;
    const double fl = 2.0 * N * in * OC;
    const std::string nm = "matmul " + std::to_string(in) + "->" + std::to_string(OC);
    rows.push_back({nm + " fwd", best_seconds(reps, [&] { be->matmul_forward(dbig, big, wbig, bias, N, in, OC); }), fl,
                    (static_cast<double>(N) * (in + OC) + static_cast<double>(in) * OC) * f4, L});
    rows.push_back({nm + " bwd",
                    best_seconds(reps, [&] { be->matmul_backward(dbig2, dw, db, dbig, big, wbig, N, in, OC); }), 2 * fl,
                    (2.0 * N * in + N * OC + 2.0 * in * OC) * f4, L});
  }
  {
    const double fl = 4.0 * B * NH * (T * (T + 1) / 2.0) * (C / NH);  // q k^T and P v, causal half
    const float scale = 1.0f / std::sqrt(static_cast<float>(C / NH));
    rows.push_back({"attention fwd", best_seconds(reps, [&] { be->attention_forward(y, att, big, B, T, C, NH, scale); }),
                    fl, (4.0 * NC + static_cast<double>(S)) * f4, L});
    rows.push_back({"attention bwd",
                    best_seconds(reps, [&] { be->attention_backward(dbig, dy, big, y, att, B, T, C, NH, scale); }),
                    2 * fl, (8.0 * NC + static_cast<double>(S)) * f4, L});
  }
  rows.push_back({"residual fwd", best_seconds(reps, [&] { be->residual_forward(y, x, dx, NC); }), 1.0 * NC,
                  3 * NC * f4, 2 * L});
  rows.push_back({"gelu fwd", best_seconds(reps, [&] { be->gelu_forward(dbig, big, 4 * NC); }), 20.0 * 4 * NC,
                  2 * 4 * NC * f4, L});
  rows.push_back({"gelu bwd", best_seconds(reps, [&] { be->gelu_backward(dbig, big, big, 4 * NC); }), 30.0 * 4 * NC,
                  4 * 4 * NC * f4, L});
  // Once per step: embeddings, logits (tied, no bias), cross-entropy, optimizer.
  rows.push_back({"encoder fwd", best_seconds(reps, [&] { be->encoder_forward(x, d_tok, wte, wpe, B, T, C); }),
                  1.0 * NC, 3 * NC * f4, 1});
  rows.push_back({"encoder bwd", best_seconds(reps, [&] { be->encoder_backward(wte, wpe, dx, d_tok, B, T, C); }),
                  2.0 * NC, 5 * NC * f4, 1});
  {
    const double fl = 2.0 * N * C * V;
    rows.push_back({"matmul logits fwd",
                    best_seconds(reps, [&] { be->matmul_forward(logits, x, wte, nullptr, N, C, V); }), fl,
                    (static_cast<double>(N) * (C + V) + static_cast<double>(C) * V) * f4, 1});
    rows.push_back({"matmul logits bwd",
                    best_seconds(reps, [&] { be->matmul_backward(dx, dwte, nullptr, logits, x, wte, N, C, V); }), 2 * fl,
                    (2.0 * N * C + static_cast<double>(N) * V + 2.0 * C * V) * f4, 1});
  }
  std::vector<int32_t> tg(tok);
  int32_t* d_tg = be->alloc_i32(N);
  be->upload_i32(d_tg, tg.data(), N);
  rows.push_back({"crossentropy fwd+bwd",
                  best_seconds(reps, [&] { be->crossentropy_forward_backward(logits, losses, d_tg, N, V, 1.0f, 1e-3f); }),
                  25.0 * N * V, 2.0 * N * V * f4, 1});
  const size_t P = static_cast<size_t>(V + T) * C + static_cast<size_t>(L) * (12 * C * C + 13 * C) + 2 * C;
  {
    float *p = filled(P, 0.02), *g = filled(P, 1e-3), *m = be->alloc(P), *v = be->alloc(P);
    AdamWStep st{1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1, 1.0f};
    rows.push_back({"sum_squares", best_seconds(reps, [&] { be->sum_squares(g, P); }), 2.0 * P, P * f4, 1});
    rows.push_back({"adamw", best_seconds(reps, [&] { be->adamw_update(p, g, m, v, P, st); }), 15.0 * P, 7.0 * P * f4,
                    1});
    rows.push_back({"zero grads", best_seconds(reps, [&] { be->zero(g, P); }), 0.0, P * f4, 1});
    for (float* q : {p, g, m, v}) be->free(q);
  }

  double step_s = 0, step_flops = 0;
  for (const Row& r : rows) {
    print(r);
    step_s += r.seconds * r.per_step;
    step_flops += r.flops * r.per_step;
  }
  const double ceiling = sgemm_ceiling(o.threads, 2048, std::max(3, reps / 2));
  const double gf = step_flops / step_s * 1e-9;
  std::printf("kernels of one training step (sum of the rows x count): %.1f ms, %.1f GFLOP/s, %.0f tokens/s\n",
              step_s * 1e3, gf, N / step_s);
  std::printf("sgemm ceiling (2048^3, %d OpenBLAS threads, %s kernels): %.1f GFLOP/s; step at %.0f%% of it\n",
              o.threads, openblas_get_corename(), ceiling, 100.0 * gf / ceiling);
  return 0;
}
