// Every op of the Backend interface on the CUDA backend against the reference op
// (backend/reference_ops.h) run in double on the same inputs, in fp32, tf32 and bf16 mode,
// at odd shapes: rows and widths that are not multiples of a warp, a tile (attention's
// 32-row tiles) or cuBLASLt's preferred alignment. In bf16 mode the random inputs are first
// rounded to bf16 (gputest::as_input), so the reference sees exactly what the kernels see
// and the error left is the kernels' own rounding. Tolerances: gpu_test_util.h (norm-wise
// relative error, optest::rel_err).
//
// Backward ops start from random nonzero gradients, so every comparison also checks that
// they accumulate (+=) rather than overwrite. The fused ops, the bf16 weight copy and
// determinism are in test_cuda_fused.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/reference_ops.h"
#include "core/error.h"
#include "gpu_test_util.h"

namespace scalelab {
namespace {

using gputest::Act;
using gputest::kTolFp32;
using gputest::tol_elementwise;
using gputest::tol_matmul;
using optest::Dev;
using optest::DevI32;
using optest::rel_err;
using optest::to_double;
using Vd = std::vector<double>;

class CudaOps : public gputest::CudaOpTest {};

TEST_P(CudaOps, Encoder) {
  struct Case {
    int B, T, C, V;
  };
  // V = 7 over 99 positions: every token repeats many times, within and across sequences.
  for (Case k : {Case{2, 5, 13, 11}, Case{3, 33, 80, 7}, Case{2, 70, 64, 50257}}) {
    const int B = k.B, T = k.T, C = k.C, V = k.V;
    auto inp = optest::randint(rng, B * T, V);
    inp[3] = inp[7] = inp[B * T - 1] = 4;  // a repeated token: its gradient rows must add up
    auto wte = input(static_cast<size_t>(V) * C), wpe = input(T * C), dout = input(B * T * C);
    auto dwte0 = optest::randn(rng, static_cast<size_t>(V) * C), dwpe0 = optest::randn(rng, T * C);
    Dev d_wte(*be, wte), d_wpe(*be, wpe), d_dwte(*be, dwte0), d_dwpe(*be, dwpe0);
    Act d_out(*be, static_cast<size_t>(B * T * C)), d_dout(*be, dout);
    DevI32 d_inp(*be, inp);
    be->encoder_forward(d_out.p, d_inp.p, d_wte.p, d_wpe.p, B, T, C);
    be->encoder_backward(d_dwte.p, d_dwpe.p, d_dout.p, d_inp.p, B, T, C);

    Vd out(B * T * C), dwte = to_double(dwte0), dwpe = to_double(dwpe0);
    ref::encoder_forward<double>(out.data(), inp.data(), to_double(wte).data(), to_double(wpe).data(), B, T, C);
    ref::encoder_backward<double>(dwte.data(), dwpe.data(), to_double(dout).data(), inp.data(), B, T, C);
    const std::string what = fmt::format("B{} T{} V{}", B, T, V);
    EXPECT_LT(rel_err(d_out.get(), out), tol_elementwise(p)) << what;
    EXPECT_LT(rel_err(d_dwte.get(), dwte), kTolFp32) << what;
    EXPECT_LT(rel_err(d_dwpe.get(), dwpe), kTolFp32) << what;
  }
}

TEST_P(CudaOps, LayerNorm) {
  for (auto [N, C] : {std::pair{7, 13}, std::pair{37, 80}, std::pair{130, 33}, std::pair{5, 768}}) {
    auto x = optest::randn(rng, N * C, 2.0);
    for (auto& v : x) v += 0.5f;  // a non-zero mean
    x = gputest::as_input(x, p);
    auto w = input(C), b = input(C), dout = input(N * C), dx0 = input(N * C);
    auto dw0 = optest::randn(rng, C), db0 = optest::randn(rng, C);
    Act d_x(*be, x), d_out(*be, static_cast<size_t>(N * C)), d_dout(*be, dout), d_dx(*be, dx0);
    Dev d_w(*be, w), d_b(*be, b), d_mean(*be, N), d_rstd(*be, N), d_dw(*be, dw0), d_db(*be, db0);
    be->layernorm_forward(d_out.p, d_mean.p, d_rstd.p, d_x.p, d_w.p, d_b.p, N, C);
    be->layernorm_backward(d_dx.p, d_dw.p, d_db.p, d_dout.p, d_x.p, d_w.p, d_mean.p, d_rstd.p, N, C);

    Vd out(N * C), mean(N), rstd(N), xd = to_double(x), wd = to_double(w);
    Vd dx = to_double(dx0), dw = to_double(dw0), db = to_double(db0);
    ref::layernorm_forward<double>(out.data(), mean.data(), rstd.data(), xd.data(), wd.data(), to_double(b).data(),
                                   N, C);
    ref::layernorm_backward<double>(dx.data(), dw.data(), db.data(), to_double(dout).data(), xd.data(), wd.data(),
                                    mean.data(), rstd.data(), N, C);
    const std::string what = fmt::format("{}x{}", N, C);
    EXPECT_LT(rel_err(d_out.get(), out), tol_elementwise(p)) << what;
    EXPECT_LT(rel_err(d_mean.get(), mean), kTolFp32) << what;
    EXPECT_LT(rel_err(d_rstd.get(), rstd), kTolFp32) << what;
    EXPECT_LT(rel_err(d_dx.get(), dx), tol_elementwise(p)) << what;
    EXPECT_LT(rel_err(d_dw.get(), dw), kTolFp32) << what;
    EXPECT_LT(rel_err(d_db.get(), db), kTolFp32) << what;
  }
}

TEST_P(CudaOps, Matmul) {
  struct Case {
    int N, C, OC;
    bool bias;  // bias in the forward and dbias in the backward (nullptr otherwise)
    bool dinp;  // dinp in the backward (nullptr otherwise)
  };
  for (Case k : {Case{7, 13, 5, true, true}, Case{7, 13, 5, false, false}, Case{37, 80, 200, true, false},
                 Case{37, 80, 200, false, true}, Case{64, 64, 256, true, true}, Case{130, 33, 70, true, true},
                 Case{1, 8, 3, true, true}}) {
    const int N = k.N, C = k.C, OC = k.OC;
    auto x = input(N * C), w = input(OC * C), b = input(OC), dout = input(N * OC), dx0 = input(N * C);
    auto dw0 = optest::randn(rng, OC * C), db0 = optest::randn(rng, OC);
    Act d_x(*be, x), d_out(*be, static_cast<size_t>(N * OC)), d_dout(*be, dout), d_dx(*be, dx0);
    Dev d_w(*be, w), d_b(*be, b), d_dw(*be, dw0), d_db(*be, db0);
    be->matmul_forward(d_out.p, d_x.p, d_w.p, k.bias ? d_b.p : nullptr, N, C, OC);
    be->matmul_backward(k.dinp ? d_dx.p : nullptr, d_dw.p, k.bias ? d_db.p : nullptr, d_dout.p, d_x.p, d_w.p, N, C,
                        OC);

    Vd out(N * OC), xd = to_double(x), wd = to_double(w), bd = to_double(b);
    Vd dx = to_double(dx0), dw = to_double(dw0), db = to_double(db0);
    ref::matmul_forward<double>(out.data(), xd.data(), wd.data(), k.bias ? bd.data() : nullptr, N, C, OC);
    ref::matmul_backward<double>(k.dinp ? dx.data() : nullptr, dw.data(), k.bias ? db.data() : nullptr,
                                 to_double(dout).data(), xd.data(), wd.data(), N, C, OC);
    const std::string what = fmt::format("{}x{}x{}{}{}", N, C, OC, k.bias ? " bias" : "", k.dinp ? " dinp" : "");
    EXPECT_LT(rel_err(d_out.get(), out), tol_matmul(p)) << what;
    EXPECT_LT(rel_err(d_dw.get(), dw), tol_matmul(p)) << what;
    if (k.dinp)
      EXPECT_LT(rel_err(d_dx.get(), dx), tol_matmul(p)) << what;
    else
      EXPECT_TRUE(optest::bit_equal(d_dx.get(), dx0)) << what << ": dinp was nullptr, its buffer changed";
    if (k.bias)
      EXPECT_LT(rel_err(d_db.get(), db), kTolFp32) << what;
    else
      EXPECT_TRUE(optest::bit_equal(d_db.get(), db0)) << what << ": dbias was nullptr, its buffer changed";
  }
}

// Row logsumexp of the scaled causal scores, (B,NH,T): the CUDA backend's saved state.
Vd reference_lse(const Vd& qkv, int B, int T, int C, int NH, double scale) {
  const int hs = C / NH;
  const size_t C3 = 3 * static_cast<size_t>(C);
  Vd lse(static_cast<size_t>(B) * NH * T);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < T; ++t) {
        Vd s(t + 1);
        double mx = -INFINITY;
        for (int j = 0; j <= t; ++j) {
          double dot = 0;
          for (int d = 0; d < hs; ++d)
            dot += qkv[(static_cast<size_t>(b) * T + t) * C3 + h * hs + d] *
                   qkv[(static_cast<size_t>(b) * T + j) * C3 + C + h * hs + d];
          s[j] = scale * dot;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (double v : s) sum += std::exp(v - mx);
        lse[(static_cast<size_t>(b) * NH + h) * T + t] = mx + std::log(sum);
      }
  return lse;
}

TEST_P(CudaOps, Attention) {
  struct Case {
    int B, T, NH, hs;
    bool mup;  // scale 1/hs (muP, Yang et al. 2022) instead of 1/sqrt(hs)
  };
  // T = 1, T below, at and above the 32-row tile, T = 70 (three tiles, the last partial);
  // head sizes 8, 24, 64 and 128 (the kernel's limit, four dims per lane).
  for (Case k : {Case{1, 1, 2, 8, false}, Case{2, 33, 3, 24, false}, Case{1, 70, 2, 64, true},
                 Case{2, 70, 2, 128, false}, Case{3, 17, 4, 8, false}, Case{1, 64, 1, 128, true}}) {
    const int B = k.B, T = k.T, NH = k.NH, C = NH * k.hs;
    const float scale = k.mup ? 1.0f / k.hs : 1.0f / std::sqrt(static_cast<float>(k.hs));
    const std::string what = fmt::format("B{} T{} NH{} hs{}", B, T, NH, k.hs);
    auto qkv = input(B * T * 3 * C), dout = input(B * T * C), dqkv0 = input(B * T * 3 * C);
    const size_t S = be->attention_state_floats(B, T, NH);
    EXPECT_EQ(S, static_cast<size_t>(B) * NH * T) << what;  // the logsumexp per row, not (T,T)
    Act d_qkv(*be, qkv), d_out(*be, static_cast<size_t>(B * T * C)), d_dout(*be, dout), d_dqkv(*be, dqkv0);
    Dev d_state(*be, S);
    be->attention_forward(d_out.p, d_state.p, d_qkv.p, B, T, C, NH, scale);
    be->attention_backward(d_dqkv.p, d_dout.p, d_qkv.p, d_out.p, d_state.p, B, T, C, NH, scale);

    Vd out(B * T * C), att(static_cast<size_t>(B) * NH * T * T), qd = to_double(qkv), dqkv = to_double(dqkv0);
    ref::attention_forward<double>(out.data(), att.data(), qd.data(), B, T, C, NH, scale);
    ref::attention_backward<double>(dqkv.data(), to_double(dout).data(), qd.data(), att.data(), B, T, C, NH, scale);
    EXPECT_LT(rel_err(d_out.get(), out), tol_elementwise(p)) << what;
    EXPECT_LT(rel_err(d_state.get(), reference_lse(qd, B, T, C, NH, scale)), kTolFp32) << what;
    // The backward reads the stored (bf16-rounded) output for D = dO . O: a little more slack.
    EXPECT_LT(rel_err(d_dqkv.get(), dqkv), 2 * tol_elementwise(p)) << what;
  }
}

TEST_P(CudaOps, AttentionRejectsHeadsAboveTheKernelLimit) {
  const int B = 1, T = 4, NH = 1, C = 136;  // head size 136 > 128
  Act d_qkv(*be, static_cast<size_t>(B * T * 3 * C)), d_out(*be, static_cast<size_t>(B * T * C));
  Dev d_state(*be, be->attention_state_floats(B, T, NH));
  try {
    be->attention_forward(d_out.p, d_state.p, d_qkv.p, B, T, C, NH, 0.1f);
    ADD_FAILURE() << "no error for head size 136";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model.n_head"), std::string::npos) << e.what();
  }
}

TEST_P(CudaOps, Gelu) {
  const size_t n = 1001;
  auto x = input(n, 3.0), dout = input(n), dx0 = input(n);
  x[0] = 0.0f;
  x[1] = -12.0f;  // far tails: gelu ~ 0 and ~ x
  x[2] = 12.0f;
  Act d_x(*be, x), d_out(*be, n), d_dout(*be, dout), d_dx(*be, dx0);
  be->gelu_forward(d_out.p, d_x.p, n);
  be->gelu_backward(d_dx.p, d_x.p, d_dout.p, n);
  Vd out(n), dx = to_double(dx0), xd = to_double(x);
  ref::gelu_forward<double>(out.data(), xd.data(), n);
  ref::gelu_backward<double>(dx.data(), xd.data(), to_double(dout).data(), n);
  auto got = d_out.get();
  EXPECT_LT(rel_err(got, out), tol_elementwise(p));
  EXPECT_LT(rel_err(d_dx.get(), dx), tol_elementwise(p));
  EXPECT_EQ(got[0], 0.0f);
  EXPECT_NEAR(got[1], 0.0f, 1e-6f);
  EXPECT_EQ(got[2], 12.0f);  // gelu(12) = 12 to within 1e-30 and 12 is exact in bf16
}

// a + b rounded once to the activation type: bit for bit, in every mode. The largest size
// passes 65536 blocks of 256 threads, so the grid-stride loop takes a second lap.
TEST_P(CudaOps, Residual) {
  for (size_t n : {size_t{1}, size_t{1003}, size_t{65536} * 256 + 1001}) {
    std::vector<float> a(n), b(n);
    for (size_t i = 0; i < n; ++i) {  // a cheap pattern, not randn: 16.8M values
      a[i] = static_cast<float>(i % 977) * 0.37f - 150.0f;
      b[i] = static_cast<float>(i % 613) * 0.011f;
    }
    a = gputest::as_input(a, p);
    b = gputest::as_input(b, p);
    Act d_a(*be, a), d_b(*be, b), d_out(*be, n);
    be->residual_forward(d_out.p, d_a.p, d_b.p, n);
    auto got = d_out.get();
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      const float want = p == Precision::bf16 ? gputest::round_bf16(a[i] + b[i]) : a[i] + b[i];
      if (got[i] != want && bad++ < 5) ADD_FAILURE() << "n=" << n << " i=" << i << ": " << got[i] << " != " << want;
    }
    EXPECT_EQ(bad, 0u) << "n=" << n;
  }
}

TEST_P(CudaOps, CrossEntropy) {
  struct Case {
    int N, V;
    float scale;
  };
  for (Case k : {Case{7, 3, 1.0f}, Case{5, 50257, 0.7f}, Case{40, 300, 0.7f}}) {
    const int N = k.N, V = k.V;
    const float dloss = 0.3f;
    auto z = input(static_cast<size_t>(N) * V, 3.0);
    z[1] = 200.0f;  // exp(200) overflows fp32: the kernel must subtract the row max
    auto y = optest::randint(rng, N, V);
    y[0] = 1;  // the row with the large logit, on its target
    y[2] = -1;  // ignored positions (padding)
    y[N - 1] = -100;
    const std::string what = fmt::format("{}x{}", N, V);
    Act d_z(*be, z);
    Dev d_loss(*be, N);
    DevI32 d_y(*be, y);
    Vd zd = to_double(z), loss(N);
    ref::crossentropy_forward_backward<double>(zd.data(), loss.data(), y.data(), N, V, k.scale, dloss);

    // Loss only: the logits stay as they were.
    be->crossentropy_forward_backward(d_z.p, d_loss.p, d_y.p, N, V, k.scale, 0.0f);
    EXPECT_TRUE(optest::bit_equal(d_z.get(), z)) << what << ": dloss = 0 changed the logits";
    EXPECT_LT(rel_err(d_loss.get(), loss), kTolFp32) << what;

    be->crossentropy_forward_backward(d_z.p, d_loss.p, d_y.p, N, V, k.scale, dloss);
    auto got_loss = d_loss.get(), got_z = d_z.get();
    EXPECT_LT(rel_err(got_loss, loss), kTolFp32) << what;
    EXPECT_LT(rel_err(got_z, zd), tol_elementwise(p)) << what;
    for (int i : {2, N - 1}) {
      EXPECT_EQ(got_loss[i], 0.0f) << what << " ignored row " << i;
      for (int v = 0; v < V; ++v) ASSERT_EQ(got_z[static_cast<size_t>(i) * V + v], 0.0f) << what << " row " << i;
    }
    EXPECT_GT(got_loss[1], 0.0f) << what;
    EXPECT_TRUE(std::isfinite(got_loss[0])) << what;
  }
}

TEST_P(CudaOps, SumSquares) {
  // 3M values: more than the kernel's 1024 blocks x 256 threads, so each thread loops.
  for (size_t n : {size_t{1}, size_t{100003}, size_t{3000017}}) {
    auto x = optest::randn(rng, n);
    Dev d_x(*be, x);
    const double want = ref::sum_squares<double>(to_double(x).data(), n);
    EXPECT_NEAR(be->sum_squares(d_x.p, n), want, 1e-10 * want) << "n=" << n;
    if (n == 1) {
      EXPECT_EQ(be->sum_squares(d_x.p, 0), 0.0);
    }
  }
}

TEST_P(CudaOps, AdamWMatchesReference) {
  for (size_t n : {size_t{1}, size_t{1037}, size_t{300001}}) {
    auto p0 = optest::randn(rng, n), g = optest::randn(rng, n), m = optest::randn(rng, n, 0.1),
         v = optest::randn(rng, n, 0.1);
    for (auto& x : v) x = x * x;
    AdamWStep s{3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 7, 0.8f};
    Dev dp(*be, p0), dg(*be, g), dm(*be, m), dv(*be, v);
    be->adamw_update(dp.p, dg.p, dm.p, dv.p, n, s);
    Vd pd = to_double(p0), md = to_double(m), vd = to_double(v);
    ref::adamw_update<double>(pd.data(), to_double(g).data(), md.data(), vd.data(), n, s.lr, s.beta1, s.beta2, s.eps,
                              s.weight_decay, s.t, s.grad_scale);
    EXPECT_LT(rel_err(dp.get(), pd), 1e-5) << "n=" << n;
    EXPECT_LT(rel_err(dm.get(), md), 1e-5) << "n=" << n;
    EXPECT_LT(rel_err(dv.get(), vd), 1e-5) << "n=" << n;
    EXPECT_TRUE(optest::bit_equal(dg.get(), g)) << "the gradients are read only";
  }
}

// The hand-computed step of tests/backend/test_ops.cpp AdamWHandStep, on the GPU.
TEST_P(CudaOps, AdamWHandStep) {
  Dev w(*be, std::vector<float>{1.0f}), g(*be, std::vector<float>{0.5f}), m(*be, 1), v(*be, 1);
  AdamWStep s{0.1f, 0.9f, 0.95f, 1e-8f, 0.1f, 1, 0.5f};
  be->adamw_update(w.p, g.p, m.p, v.p, 1, s);
  EXPECT_NEAR(w.get()[0], 0.890000004, 1.5e-7);
  EXPECT_NEAR(m.get()[0], 0.025, 1e-8);
  EXPECT_NEAR(v.get()[0], 0.003125, 2e-9);
}

TEST_P(CudaOps, MemoryRoundTrips) {
  EXPECT_EQ(be->name(), "cuda");
  EXPECT_EQ(be->precision(), p);
  const size_t n = 4099;
  auto x = optest::randn(rng, n);
  Dev d(*be, n);
  EXPECT_TRUE(optest::bit_equal(d.get(), std::vector<float>(n, 0.0f))) << "alloc must zero";
  be->upload(d.p, x.data(), n);
  EXPECT_TRUE(optest::bit_equal(d.get(), x));
  be->zero(d.p + 100, 50);
  auto want = x;
  std::fill(want.begin() + 100, want.begin() + 150, 0.0f);
  EXPECT_TRUE(optest::bit_equal(d.get(), want));
  // Activations: fp32 as they are, or rounded to bf16 (nearest even) in bf16 mode.
  Act a(*be, x);
  EXPECT_TRUE(optest::bit_equal(a.get(), p == Precision::bf16 ? gputest::round_bf16(x) : x));
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaOps, ::testing::ValuesIn(gputest::all_precisions()), gputest::param_name);

}  // namespace
}  // namespace scalelab
