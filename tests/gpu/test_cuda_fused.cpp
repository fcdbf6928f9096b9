// The CUDA backend's fused ops against the reference composition, the bf16 copy of the
// weights that the matrix products read (kept current by upload, zero and adamw_update),
// and determinism (an op run twice on the same inputs gives the same bits), in fp32, tf32
// and bf16 mode. Inputs, references and tolerances as in test_cuda_ops.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/reference_ops.h"
#include "gpu_test_util.h"

namespace scalelab {
namespace {

using gputest::Act;
using gputest::concat;
using gputest::kTolFp32;
using gputest::tol_elementwise;
using gputest::tol_matmul;
using optest::Dev;
using optest::DevI32;
using optest::rel_err;
using optest::to_double;
using Vd = std::vector<double>;

class CudaFused : public gputest::CudaOpTest {};

// residual = a + b (rounded once to the activation type), then LayerNorm of the stored
// residual: what the unfused residual_forward + layernorm_forward compute.
TEST_P(CudaFused, ResidualLayerNorm) {
  for (auto [N, C] : {std::pair{7, 13}, std::pair{37, 80}, std::pair{130, 33}, std::pair{5, 768}}) {
    auto a = input(N * C, 2.0), b = input(N * C), w = input(C), bias = input(C);
    Act d_a(*be, a), d_b(*be, b), d_res(*be, static_cast<size_t>(N * C)), d_out(*be, static_cast<size_t>(N * C));
    Dev d_w(*be, w), d_bias(*be, bias), d_mean(*be, N), d_rstd(*be, N);
    be->residual_layernorm_forward(d_res.p, d_out.p, d_mean.p, d_rstd.p, d_a.p, d_b.p, d_w.p, d_bias.p, N, C);

    std::vector<float> res(N * C);
    for (size_t i = 0; i < res.size(); ++i)
      res[i] = p == Precision::bf16 ? gputest::round_bf16(a[i] + b[i]) : a[i] + b[i];
    Vd out(N * C), mean(N), rstd(N);
    ref::layernorm_forward<double>(out.data(), mean.data(), rstd.data(), to_double(res).data(), to_double(w).data(),
                                   to_double(bias).data(), N, C);
    const std::string what = fmt::format("{}x{}", N, C);
    EXPECT_TRUE(optest::bit_equal(d_res.get(), res)) << what;
    EXPECT_LT(rel_err(d_out.get(), out), tol_elementwise(p)) << what;
    EXPECT_LT(rel_err(d_mean.get(), mean), kTolFp32) << what;
    EXPECT_LT(rel_err(d_rstd.get(), rstd), kTolFp32) << what;
  }
}

// pre = inp w^T + bias, out = gelu(pre) (tanh form, as gelu_forward). With a bias and OC a
// multiple of 8 the CUDA backend uses cuBLASLt's GELU_AUX_BIAS epilogue; otherwise it
// composes matmul_forward and gelu_forward. Both paths must compute the same function.
TEST_P(CudaFused, MatmulGelu) {
  struct Case {
    int N, C, OC;
    bool bias;
  };
  for (Case k : {Case{37, 80, 200, true}, Case{64, 64, 256, true}, Case{7, 13, 5, true}, Case{33, 64, 202, true},
                 Case{16, 64, 256, false}, Case{130, 33, 72, true}}) {
    const int N = k.N, C = k.C, OC = k.OC;
    auto x = input(N * C), w = input(OC * C, 0.3), b = input(OC);
    Act d_x(*be, x), d_pre(*be, static_cast<size_t>(N * OC)), d_out(*be, static_cast<size_t>(N * OC));
    Dev d_w(*be, w), d_b(*be, b);
    be->matmul_gelu_forward(d_out.p, d_pre.p, d_x.p, d_w.p, k.bias ? d_b.p : nullptr, N, C, OC);

    Vd pre(N * OC), out(N * OC);
    ref::matmul_forward<double>(pre.data(), to_double(x).data(), to_double(w).data(),
                                k.bias ? to_double(b).data() : nullptr, N, C, OC);
    ref::gelu_forward<double>(out.data(), pre.data(), pre.size());
    const std::string what = fmt::format("{}x{}x{}{}", N, C, OC, k.bias ? " bias" : "");
    EXPECT_LT(rel_err(d_pre.get(), pre), tol_matmul(p)) << what;
    EXPECT_LT(rel_err(d_out.get(), out), tol_matmul(p)) << what;
  }
}

// In bf16 mode the products read a bf16 copy of each weight buffer, made on first use. A
// stale copy would go on computing with old weights: check the output follows the fp32
// weights after a full upload, a partial upload, adamw_update (whole and part) and zero.
// In fp32/tf32 mode there is no copy and the same checks hold trivially.
TEST_P(CudaFused, MatmulReadsCurrentWeights) {
  const int N = 9, C = 16, OC = 24;
  const size_t nw = static_cast<size_t>(OC) * C;
  auto x = input(N * C);
  auto w = optest::randn(rng, nw), bias = optest::randn(rng, OC);
  Act d_x(*be, x), d_out(*be, static_cast<size_t>(N * OC));
  Dev d_w(*be, w), d_b(*be, bias);
  auto want_for = [&](const std::vector<float>& weights, const std::vector<float>& b) {
    Vd want(N * OC);
    ref::matmul_forward<double>(want.data(), to_double(x).data(), to_double(gputest::as_input(weights, p)).data(),
                                to_double(gputest::as_input(b, p)).data(), N, C, OC);
    return want;
  };
  // Runs the product and checks it against the current weights; also that it differs from
  // the previous weights' result by far more than the tolerance, so staleness would show.
  Vd previous;
  auto check = [&](const char* what) {
    be->matmul_forward(d_out.p, d_x.p, d_w.p, d_b.p, N, C, OC);
    const auto got = d_out.get();
    const Vd want = want_for(w, bias);
    EXPECT_LT(rel_err(got, want), tol_matmul(p)) << what;
    if (!previous.empty()) {
      EXPECT_GT(rel_err(got, previous), 0.1) << what << ": the weights did not change enough";
    }
    previous = want;
  };
  check("first use");

  w = optest::randn(rng, nw);
  be->upload(d_w.p, w.data(), nw);
  check("after upload");

  auto rows = optest::randn(rng, 8 * C, 3.0);  // rows 8..15 only
  std::copy(rows.begin(), rows.end(), w.begin() + 8 * C);
  be->upload(d_w.p + 8 * C, rows.data(), rows.size());
  check("after a partial upload");

  bias = optest::randn(rng, OC, 10.0);
  be->upload(d_b.p, bias.data(), bias.size());
  check("after a bias upload");

  // AdamW at t = 1 (and t = 2 below) moves each weight by lr: mhat / sqrt(vhat) = sign(g).
  auto g = optest::randn(rng, nw);
  Dev d_g(*be, g), d_m(*be, nw), d_v(*be, nw);
  AdamWStep s{2.0f, 0.9f, 0.95f, 1e-8f, 0.0f, 1, 1.0f};
  be->adamw_update(d_w.p, d_g.p, d_m.p, d_v.p, nw, s);
  w = d_w.get();
  check("after adamw_update");

  s.t = 2;  // rows 5..11 only: a range in the middle of the buffer
  be->adamw_update(d_w.p + 5 * C, d_g.p + 5 * C, d_m.p + 5 * C, d_v.p + 5 * C, 7 * C, s);
  const auto w_before = w;
  w = d_w.get();
  EXPECT_TRUE(std::equal(w.begin(), w.begin() + 5 * C, w_before.begin())) << "adamw_update wrote before its range";
  EXPECT_TRUE(std::equal(w.begin() + 12 * C, w.end(), w_before.begin() + 12 * C)) << "adamw_update wrote past it";
  EXPECT_FALSE(std::equal(w.begin() + 5 * C, w.begin() + 12 * C, w_before.begin() + 5 * C));
  check("after a partial adamw_update");

  be->zero(d_w.p, nw);
  std::fill(w.begin(), w.end(), 0.0f);
  check("after zero");  // the output is the bias, broadcast
}

// Each op family run twice from the same inputs into fresh buffers: the same bits. The
// backend promises this (backend.h: no atomics in reductions) and resumed runs rely on it.
TEST_P(CudaFused, Deterministic) {
  auto expect_same = [](const char* what, const std::function<std::vector<float>()>& run) {
    const auto first = run();
    EXPECT_TRUE(optest::bit_equal(first, run())) << what;
  };
  {
    const int N = 37, C = 80, OC = 200;
    auto x = input(N * C), w = input(OC * C), b = input(OC), dout = input(N * OC), dx0 = input(N * C);
    auto dw0 = optest::randn(rng, OC * C), db0 = optest::randn(rng, OC);
    expect_same("matmul", [&] {
      Act d_x(*be, x), d_out(*be, static_cast<size_t>(N * OC)), d_gelu(*be, static_cast<size_t>(N * OC)),
          d_dout(*be, dout), d_dx(*be, dx0);
      Dev d_w(*be, w), d_b(*be, b), d_dw(*be, dw0), d_db(*be, db0);
      be->matmul_forward(d_out.p, d_x.p, d_w.p, d_b.p, N, C, OC);
      be->matmul_backward(d_dx.p, d_dw.p, d_db.p, d_dout.p, d_x.p, d_w.p, N, C, OC);
      auto plain = d_out.get();
      be->matmul_gelu_forward(d_gelu.p, d_out.p, d_x.p, d_w.p, d_b.p, N, C, OC);
      return concat({plain, d_out.get(), d_gelu.get(), d_dx.get(), d_dw.get(), d_db.get()});
    });
  }
  {
    const int B = 2, T = 70, NH = 2, C = 128;
    auto qkv = input(B * T * 3 * C), dout = input(B * T * C), dqkv0 = input(B * T * 3 * C);
    expect_same("attention", [&] {
      Act d_qkv(*be, qkv), d_out(*be, static_cast<size_t>(B * T * C)), d_dout(*be, dout), d_dqkv(*be, dqkv0);
      Dev d_state(*be, be->attention_state_floats(B, T, NH));
      be->attention_forward(d_out.p, d_state.p, d_qkv.p, B, T, C, NH, 0.125f);
      be->attention_backward(d_dqkv.p, d_dout.p, d_qkv.p, d_out.p, d_state.p, B, T, C, NH, 0.125f);
      return concat({d_out.get(), d_state.get(), d_dqkv.get()});
    });
  }
  {
    const int N = 130, C = 80;
    auto a = input(N * C), b = input(N * C), w = input(C), bias = input(C), dout = input(N * C), dx0 = input(N * C);
    expect_same("layernorm", [&] {
      Act d_a(*be, a), d_b(*be, b), d_res(*be, static_cast<size_t>(N * C)), d_out(*be, static_cast<size_t>(N * C)),
          d_dout(*be, dout), d_dx(*be, dx0);
      Dev d_w(*be, w), d_bias(*be, bias), d_mean(*be, N), d_rstd(*be, N), d_dw(*be, C), d_db(*be, C);
      be->residual_layernorm_forward(d_res.p, d_out.p, d_mean.p, d_rstd.p, d_a.p, d_b.p, d_w.p, d_bias.p, N, C);
      be->layernorm_backward(d_dx.p, d_dw.p, d_db.p, d_dout.p, d_res.p, d_w.p, d_mean.p, d_rstd.p, N, C);
      return concat({d_res.get(), d_out.get(), d_mean.get(), d_rstd.get(), d_dx.get(), d_dw.get(), d_db.get()});
    });
  }
  {
    const int B = 4, T = 64, C = 48, V = 5;  // 256 positions over 5 tokens: long runs to sum
    auto inp = optest::randint(rng, B * T, V);
    auto dout = input(B * T * C), wte = input(V * C), wpe = input(T * C);
    expect_same("encoder", [&] {
      DevI32 d_inp(*be, inp);
      Act d_out(*be, static_cast<size_t>(B * T * C)), d_dout(*be, dout);
      Dev d_wte(*be, wte), d_wpe(*be, wpe), d_dwte(*be, V * C), d_dwpe(*be, T * C);
      be->encoder_forward(d_out.p, d_inp.p, d_wte.p, d_wpe.p, B, T, C);
      be->encoder_backward(d_dwte.p, d_dwpe.p, d_dout.p, d_inp.p, B, T, C);
      return concat({d_out.get(), d_dwte.get(), d_dwpe.get()});
    });
  }
  {
    const int N = 6, V = 50257;
    auto z = input(static_cast<size_t>(N) * V, 2.0);
    auto y = optest::randint(rng, N, V);
    expect_same("crossentropy", [&] {
      Act d_z(*be, z);
      Dev d_loss(*be, N);
      DevI32 d_y(*be, y);
      be->crossentropy_forward_backward(d_z.p, d_loss.p, d_y.p, N, V, 0.9f, 0.25f);
      return concat({d_loss.get(), d_z.get()});
    });
  }
  {
    const size_t n = 2000003;
    auto x = optest::randn(rng, n), dout = input(n), dx0 = input(n);
    auto xin = gputest::as_input(x, p);
    Dev d_x(*be, x);
    const double s1 = be->sum_squares(d_x.p, n), s2 = be->sum_squares(d_x.p, n);
    EXPECT_EQ(std::bit_cast<uint64_t>(s1), std::bit_cast<uint64_t>(s2)) << "sum_squares";
    expect_same("gelu", [&] {
      Act d_in(*be, xin), d_out(*be, n), d_dout(*be, dout), d_dx(*be, dx0);
      be->gelu_forward(d_out.p, d_in.p, n);
      be->gelu_backward(d_dx.p, d_in.p, d_dout.p, n);
      return concat({d_out.get(), d_dx.get()});
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaFused, ::testing::ValuesIn(gputest::all_precisions()),
                         gputest::param_name);

}  // namespace
}  // namespace scalelab
