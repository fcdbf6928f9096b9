// Every fast op of the CPU backend against the reference op (backend/reference_ops.h,
// run in double on the same float inputs), on odd sizes (vector tails on every path) and
// on sizes that split across threads, forward and backward, on every SIMD path this
// machine runs (avx512, avx2, sse4, scalar on x86-64) with 1 and 2 threads: ctest cases
// are named after both, e.g. OpsTest.Attention/avx2_t2. Tolerance: norm-wise relative
// error (optest::rel_err) below kTol = 1e-5. Backward ops start from random gradients,
// so the comparison also checks that they accumulate (+=) rather than overwrite.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/kernels.h"
#include "backend/reference_ops.h"
#include "core/error.h"
#include "op_test_util.h"

namespace scalelab {
namespace {

using optest::Dev;
using optest::DevI32;
using optest::rel_err;
using optest::to_double;
using Vd = std::vector<double>;

constexpr double kTol = 1e-5;

class OpsTest : public ::testing::TestWithParam<optest::CpuCase> {
 protected:
  void SetUp() override { be = make_backend("cpu", GetParam().threads); }
  std::vector<float> randn(size_t n, double scale = 1.0) { return optest::randn(rng, n, scale); }
  optest::PinnedSimdPath pin{GetParam().path};
  std::unique_ptr<Backend> be;
  Rng rng{20240520};
};

TEST_P(OpsTest, Encoder) {
  const int B = 2, T = 5, C = 37, V = 11;  // C: whole vectors and a tail on every path
  auto inp = optest::randint(rng, B * T, V);
  inp[3] = inp[7] = 4;  // a repeated token: its gradient rows must add up
  auto wte = randn(V * C), wpe = randn(T * C), dout = randn(B * T * C);
  auto dwte0 = randn(V * C), dwpe0 = randn(T * C);
  Dev d_wte(*be, wte), d_wpe(*be, wpe), d_out(*be, B * T * C), d_dout(*be, dout), d_dwte(*be, dwte0),
      d_dwpe(*be, dwpe0);
  DevI32 d_inp(*be, inp);
  be->encoder_forward(d_out.p, d_inp.p, d_wte.p, d_wpe.p, B, T, C);
  be->encoder_backward(d_dwte.p, d_dwpe.p, d_dout.p, d_inp.p, B, T, C);

  Vd out(B * T * C), dwte = to_double(dwte0), dwpe = to_double(dwpe0);
  ref::encoder_forward<double>(out.data(), inp.data(), to_double(wte).data(), to_double(wpe).data(), B, T, C);
  ref::encoder_backward<double>(dwte.data(), dwpe.data(), to_double(dout).data(), inp.data(), B, T, C);
  EXPECT_LT(rel_err(d_out.get(), out), kTol);
  EXPECT_LT(rel_err(d_dwte.get(), dwte), kTol);
  EXPECT_LT(rel_err(d_dwpe.get(), dwpe), kTol);
}

TEST_P(OpsTest, LayerNorm) {
  for (auto [N, C] : {std::pair{7, 13}, std::pair{37, 40}, std::pair{5, 67}, std::pair{3, 3}}) {
    auto x = randn(N * C, 2.0), w = randn(C), b = randn(C), dout = randn(N * C);
    for (auto& v : x) v += 0.5f;  // a non-zero mean
    auto dx0 = randn(N * C), dw0 = randn(C), db0 = randn(C);
    Dev d_x(*be, x), d_w(*be, w), d_b(*be, b), d_out(*be, N * C), d_mean(*be, N), d_rstd(*be, N),
        d_dout(*be, dout), d_dx(*be, dx0), d_dw(*be, dw0), d_db(*be, db0);
    be->layernorm_forward(d_out.p, d_mean.p, d_rstd.p, d_x.p, d_w.p, d_b.p, N, C);
    be->layernorm_backward(d_dx.p, d_dw.p, d_db.p, d_dout.p, d_x.p, d_w.p, d_mean.p, d_rstd.p, N, C);

    Vd out(N * C), mean(N), rstd(N), xd = to_double(x), wd = to_double(w);
    Vd dx = to_double(dx0), dw = to_double(dw0), db = to_double(db0);
    ref::layernorm_forward<double>(out.data(), mean.data(), rstd.data(), xd.data(), wd.data(),
                                   to_double(b).data(), N, C);
    ref::layernorm_backward<double>(dx.data(), dw.data(), db.data(), to_double(dout).data(), xd.data(), wd.data(),
                                    mean.data(), rstd.data(), N, C);
    EXPECT_LT(rel_err(d_out.get(), out), kTol) << N << "x" << C;
    EXPECT_LT(rel_err(d_mean.get(), mean), kTol) << N << "x" << C;
    EXPECT_LT(rel_err(d_rstd.get(), rstd), kTol) << N << "x" << C;
    EXPECT_LT(rel_err(d_dx.get(), dx), kTol) << N << "x" << C;
    EXPECT_LT(rel_err(d_dw.get(), dw), kTol) << N << "x" << C;
    EXPECT_LT(rel_err(d_db.get(), db), kTol) << N << "x" << C;
  }
}

// Matmul under both ways of threading sgemm (backend/cpu/matmul.cpp).
void check_matmul(Backend& be_ref, Rng& rng) {
  Backend* be = &be_ref;
  auto randn = [&](size_t n) { return optest::randn(rng, n); };
  struct Case {
    int N, C, OC;
    bool bias, dinp;
  };
  for (Case k : {Case{7, 13, 5, true, true}, Case{7, 13, 5, false, false}, Case{37, 19, 40, true, true},
                 Case{130, 33, 70, false, true}}) {
    const int N = k.N, C = k.C, OC = k.OC;
    auto x = randn(N * C), w = randn(OC * C), b = randn(OC), dout = randn(N * OC);
    auto dx0 = randn(N * C), dw0 = randn(OC * C), db0 = randn(OC);
    Dev d_x(*be, x), d_w(*be, w), d_b(*be, b), d_out(*be, N * OC), d_dout(*be, dout), d_dx(*be, dx0),
        d_dw(*be, dw0), d_db(*be, db0);
    be->matmul_forward(d_out.p, d_x.p, d_w.p, k.bias ? d_b.p : nullptr, N, C, OC);
    be->matmul_backward(k.dinp ? d_dx.p : nullptr, d_dw.p, k.bias ? d_db.p : nullptr, d_dout.p, d_x.p, d_w.p, N, C,
                        OC);

    Vd out(N * OC), xd = to_double(x), wd = to_double(w), bd = to_double(b);
    Vd dx = to_double(dx0), dw = to_double(dw0), db = to_double(db0);
    ref::matmul_forward<double>(out.data(), xd.data(), wd.data(), k.bias ? bd.data() : nullptr, N, C, OC);
    ref::matmul_backward<double>(k.dinp ? dx.data() : nullptr, dw.data(), k.bias ? db.data() : nullptr,
                                 to_double(dout).data(), xd.data(), wd.data(), N, C, OC);
    const std::string what = std::to_string(N) + "x" + std::to_string(C) + "x" + std::to_string(OC);
    EXPECT_LT(rel_err(d_out.get(), out), kTol) << what;
    EXPECT_LT(rel_err(d_dx.get(), dx), kTol) << what;  // untouched (== dx0) when dinp is nullptr
    EXPECT_LT(rel_err(d_dw.get(), dw), kTol) << what;
    EXPECT_LT(rel_err(d_db.get(), db), kTol) << what;
  }
}

TEST_P(OpsTest, Matmul) { check_matmul(*be, rng); }

TEST_P(OpsTest, MatmulWithBlasThreads) {
  cpu::set_gemm_policy(cpu::GemmPolicy::kBlasThreads);
  check_matmul(*be, rng);
  cpu::set_gemm_policy(cpu::GemmPolicy::kSplitRows);
}

TEST_P(OpsTest, Attention) {
  struct Case {
    int B, T, NH, hs;
    bool mup;  // scale 1/hs (muP, Yang et al. 2022) instead of 1/sqrt(hs)
  };
  // Odd T and head sizes that are not a multiple of any path's vectors (4, 8 or 16
  // floats; 40 = 2.5 AVX-512 vectors), T not a multiple of the 8-row query groups nor of
  // the register blocks (8 or 4 rows), T = 1, and GPT-2's head size 64 and 128.
  for (Case k : {Case{2, 5, 3, 4, false}, Case{1, 70, 2, 8, true}, Case{3, 17, 2, 6, false},
                 Case{2, 33, 2, 40, false}, Case{2, 1, 2, 24, false}, Case{1, 45, 1, 64, false},
                 Case{1, 19, 2, 128, true}}) {
    const int B = k.B, T = k.T, NH = k.NH, C = NH * k.hs;
    const float scale = k.mup ? 1.0f / k.hs : 1.0f / std::sqrt(static_cast<float>(k.hs));
    auto qkv = randn(B * T * 3 * C), dout = randn(B * T * C), dqkv0 = randn(B * T * 3 * C);
    const size_t S = be->attention_state_floats(B, T, NH);
    Dev d_qkv(*be, qkv), d_out(*be, B * T * C), d_state(*be, S), d_dout(*be, dout), d_dqkv(*be, dqkv0);
    be->attention_forward(d_out.p, d_state.p, d_qkv.p, B, T, C, NH, scale);
    be->attention_backward(d_dqkv.p, d_dout.p, d_qkv.p, d_out.p, d_state.p, B, T, C, NH, scale);

    Vd out(B * T * C), att(static_cast<size_t>(B) * NH * T * T), qd = to_double(qkv), dqkv = to_double(dqkv0);
    ref::attention_forward<double>(out.data(), att.data(), qd.data(), B, T, C, NH, scale);
    ref::attention_backward<double>(dqkv.data(), to_double(dout).data(), qd.data(), att.data(), B, T, C, NH, scale);
    const std::string what = "B" + std::to_string(B) + " T" + std::to_string(T) + " NH" + std::to_string(NH);
    EXPECT_LT(rel_err(d_out.get(), out), kTol) << what;
    if (S == att.size()) {  // the CPU layout: P (B,NH,T,T); entries above the diagonal are not kept
      auto state = d_state.get();
      for (size_t r = 0; r < static_cast<size_t>(B) * NH * T; ++r)
        for (int j = static_cast<int>(r % T) + 1; j < T; ++j) state[r * T + j] = 0.0f;
      EXPECT_LT(rel_err(state, att), kTol) << what;
    }
    EXPECT_LT(rel_err(d_dqkv.get(), dqkv), kTol) << what;
  }
}

TEST_P(OpsTest, Gelu) {
  const size_t n = 1003;
  auto x = randn(n, 3.0), dout = randn(n), dx0 = randn(n);
  x[0] = 0.0f;
  x[1] = -12.0f;  // far tails: gelu ~ 0 and ~ x
  x[2] = 12.0f;
  Dev d_x(*be, x), d_out(*be, n), d_dout(*be, dout), d_dx(*be, dx0);
  be->gelu_forward(d_out.p, d_x.p, n);
  be->gelu_backward(d_dx.p, d_x.p, d_dout.p, n);
  Vd out(n), dx = to_double(dx0), xd = to_double(x);
  ref::gelu_forward<double>(out.data(), xd.data(), n);
  ref::gelu_backward<double>(dx.data(), xd.data(), to_double(dout).data(), n);
  EXPECT_LT(rel_err(d_out.get(), out), kTol);
  EXPECT_LT(rel_err(d_dx.get(), dx), kTol);
  // Pointwise too, where |gelu| is not tiny: the fast tanh must be accurate everywhere.
  auto got = d_out.get();
  for (size_t i = 0; i < n; ++i)
    if (std::abs(out[i]) > 1e-3) {
      EXPECT_NEAR(got[i], out[i], 2e-6 * std::abs(out[i])) << "x = " << x[i];
    }
}

// Inputs far outside the range a model sees: results stay finite (no inf * 0 inside the
// exponential form), gelu(x) = x and gelu'(x) = 1 far right, both ~0 far left.
TEST_P(OpsTest, GeluExtremeInputsStayFinite) {
  std::vector<float> x = {-1000.0f, -100.0f, -50.0f, 50.0f, 100.0f, 1000.0f, 0.0f, 3.0e4f, -3.0e4f};
  const size_t n = x.size();
  Dev d_x(*be, x), d_out(*be, n), d_dout(*be, std::vector<float>(n, 1.0f)), d_dx(*be, n);
  be->gelu_forward(d_out.p, d_x.p, n);
  be->gelu_backward(d_dx.p, d_x.p, d_dout.p, n);
  auto out = d_out.get(), dx = d_dx.get();
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(std::isfinite(out[i]) && std::isfinite(dx[i])) << "x = " << x[i];
    if (x[i] >= 50.0f) {
      EXPECT_EQ(out[i], x[i]);
      EXPECT_EQ(dx[i], 1.0f);
    } else if (x[i] <= -50.0f) {
      EXPECT_NEAR(out[i], 0.0f, 1e-30f);
      EXPECT_NEAR(dx[i], 0.0f, 1e-20f);  // e^88 s (the clamp) leaves x^3 times a denormal
    }
  }
}

TEST_P(OpsTest, Residual) {
  const size_t n = 1003;
  auto a = randn(n), b = randn(n);
  Dev d_a(*be, a), d_b(*be, b), d_out(*be, n);
  be->residual_forward(d_out.p, d_a.p, d_b.p, n);
  auto got = d_out.get();
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(got[i], a[i] + b[i]);
}

TEST_P(OpsTest, CrossEntropy) {
  for (auto [N, V] : {std::pair{7, 11}, std::pair{40, 300}, std::pair{9, 257}}) {
    auto z = randn(N * V, 3.0);
    auto y = optest::randint(rng, N, V);
    y[2] = -1;  // ignored positions (padding)
    y[5] = -100;
    const float s = 0.7f, dloss = 0.3f;
    Dev d_z(*be, z), d_loss(*be, N);
    DevI32 d_y(*be, y);
    Vd zd = to_double(z), loss(N);
    ref::crossentropy_forward_backward<double>(zd.data(), loss.data(), y.data(), N, V, s, dloss);

    // Loss only: the logits stay as they were.
    be->crossentropy_forward_backward(d_z.p, d_loss.p, d_y.p, N, V, s, 0.0f);
    EXPECT_TRUE(optest::bit_equal(d_z.get(), z));
    EXPECT_LT(rel_err(d_loss.get(), loss), kTol);

    be->crossentropy_forward_backward(d_z.p, d_loss.p, d_y.p, N, V, s, dloss);
    auto got_loss = d_loss.get(), got_z = d_z.get();
    EXPECT_LT(rel_err(got_loss, loss), kTol) << N << "x" << V;
    EXPECT_LT(rel_err(got_z, zd), kTol) << N << "x" << V;
    EXPECT_EQ(got_loss[2], 0.0f);
    EXPECT_EQ(got_loss[5], 0.0f);
    for (int v = 0; v < V; ++v) EXPECT_EQ(got_z[5 * V + v], 0.0f);
    EXPECT_GT(got_loss[0], 0.0f);
  }
}

TEST_P(OpsTest, SumSquares) {
  const size_t n = 100003;
  auto x = randn(n);
  Dev d_x(*be, x);
  const double want = ref::sum_squares<double>(to_double(x).data(), n);
  EXPECT_NEAR(be->sum_squares(d_x.p, n), want, 1e-12 * want);
  EXPECT_EQ(be->sum_squares(d_x.p, 0), 0.0);
}

// One step by hand: p = 1, grad = 0.5, grad_scale = 0.5 -> g = 0.25, t = 1.
// m = 0.1 * 0.25 = 0.025, v = 0.05 * 0.0625 = 0.003125; mhat = 0.25, vhat = 0.0625;
// p = 1 - 0.1 * (0.25 / (0.25 + 1e-8) + 0.1 * 1) = 0.890000004.
TEST_P(OpsTest, AdamWHandStep) {
  Dev p(*be, std::vector<float>{1.0f}), g(*be, std::vector<float>{0.5f}), m(*be, 1), v(*be, 1);
  AdamWStep s{0.1f, 0.9f, 0.95f, 1e-8f, 0.1f, 1, 0.5f};
  be->adamw_update(p.p, g.p, m.p, v.p, 1, s);
  EXPECT_NEAR(p.get()[0], 0.890000004, 1.5e-7);
  EXPECT_NEAR(m.get()[0], 0.025, 1e-8);  // float: 1 - 0.9f is 0.100000024
  EXPECT_NEAR(v.get()[0], 0.003125, 2e-9);
  // Step 2 with the same gradient and no decay: m = 0.0475, v = 0.00609375,
  // mhat = 0.0475 / 0.19 = 0.25, vhat = 0.00609375 / 0.0975 = 0.0625 -> p -= 0.1 * (1 - 4e-8).
  s.t = 2;
  s.weight_decay = 0.0f;
  be->adamw_update(p.p, g.p, m.p, v.p, 1, s);
  EXPECT_NEAR(p.get()[0], 0.890000004 - 0.1 * (1 - 4e-8), 2e-7);
}

TEST_P(OpsTest, AdamWMatchesReference) {
  const size_t n = 1037;
  auto p = randn(n), g = randn(n), m = randn(n, 0.1), v = randn(n, 0.1);
  for (auto& x : v) x = x * x;
  AdamWStep s{3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 7, 0.8f};
  Dev dp(*be, p), dg(*be, g), dm(*be, m), dv(*be, v);
  be->adamw_update(dp.p, dg.p, dm.p, dv.p, n, s);
  Vd pd = to_double(p), md = to_double(m), vd = to_double(v);
  ref::adamw_update<double>(pd.data(), to_double(g).data(), md.data(), vd.data(), n, s.lr, s.beta1, s.beta2, s.eps,
                            s.weight_decay, s.t, s.grad_scale);
  EXPECT_LT(rel_err(dp.get(), pd), kTol);
  EXPECT_LT(rel_err(dm.get(), md), kTol);
  EXPECT_LT(rel_err(dv.get(), vd), kTol);
}

INSTANTIATE_TEST_SUITE_P(Simd, OpsTest, ::testing::ValuesIn(optest::cpu_cases()),
                         [](const auto& info) { return optest::cpu_case_name(info.param); });

TEST(MakeBackend, CpuAndErrors) {
  auto be = make_backend("cpu", 0);
  EXPECT_EQ(be->name(), "cpu");
  EXPECT_GE(be->threads(), 1);
  EXPECT_EQ(make_backend("cpu", 3)->threads(), 3);
  // "cuda" works where the build has the backend and the machine a GPU (test_precision.cpp
  // covers each case); the others are errors everywhere.
  for (const char* dev : {"cuda", "tpu", ""}) {
    if (std::string(dev) == "cuda" && cuda_device_count() > 0) continue;
    try {
      make_backend(dev, 1);
      ADD_FAILURE() << "no error for device " << dev;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("train.device"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace scalelab
