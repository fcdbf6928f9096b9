// The fused ops' default compositions (backend.cpp) on the CPU backend and on the
// reference backend: residual_layernorm_forward must equal residual_forward followed by
// layernorm_forward, and matmul_gelu_forward must equal matmul_forward followed by
// gelu_forward, bit for bit (the Gpt now calls the fused ops, so the CPU model depends on
// this), and both must agree with the reference ops in double (so that the two sides are
// not equal because both are wrong). Also: on the CPU the activation transfers
// (upload_activations/download_activations) are the plain fp32 transfers.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/reference_ops.h"
#include "op_test_util.h"
#include "reference_backend.h"

namespace scalelab {
namespace {

using optest::bit_equal;
using optest::Dev;
using optest::rel_err;
using optest::to_double;
using Vd = std::vector<double>;

constexpr double kTol = 1e-5;  // against the double reference, as test_ops.cpp

// "cpu1", "cpu2" (threads) or "reference".
std::unique_ptr<Backend> backend_named(const std::string& name) {
  if (name == "reference") return std::make_unique<ReferenceBackend>();
  return make_backend("cpu", name == "cpu1" ? 1 : 2);
}

class FusedOps : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { be = backend_named(GetParam()); }
  std::vector<float> randn(size_t n, double scale = 1.0) { return optest::randn(rng, n, scale); }
  std::unique_ptr<Backend> be;
  Rng rng{20261123};
};

TEST_P(FusedOps, ResidualLayerNormIsTheComposition) {
  for (auto [N, C] : {std::pair{1, 1}, std::pair{7, 13}, std::pair{37, 80}, std::pair{130, 33}}) {
    const size_t n = static_cast<size_t>(N) * C;
    auto a = randn(n, 2.0), b = randn(n), w = randn(C), bias = randn(C);
    Dev d_a(*be, a), d_b(*be, b), d_w(*be, w), d_bias(*be, bias);
    Dev f_res(*be, n), f_out(*be, n), f_mean(*be, N), f_rstd(*be, N);  // fused
    Dev s_res(*be, n), s_out(*be, n), s_mean(*be, N), s_rstd(*be, N);  // separate
    be->residual_layernorm_forward(f_res.p, f_out.p, f_mean.p, f_rstd.p, d_a.p, d_b.p, d_w.p, d_bias.p, N, C);
    be->residual_forward(s_res.p, d_a.p, d_b.p, n);
    be->layernorm_forward(s_out.p, s_mean.p, s_rstd.p, s_res.p, d_w.p, d_bias.p, N, C);
    const std::string what = fmt::format("{} {}x{}", GetParam(), N, C);
    EXPECT_TRUE(bit_equal(f_res.get(), s_res.get())) << what;
    EXPECT_TRUE(bit_equal(f_out.get(), s_out.get())) << what;
    EXPECT_TRUE(bit_equal(f_mean.get(), s_mean.get())) << what;
    EXPECT_TRUE(bit_equal(f_rstd.get(), s_rstd.get())) << what;

    Vd res(n), out(n), mean(N), rstd(N);
    ref::residual_forward<double>(res.data(), to_double(a).data(), to_double(b).data(), n);
    ref::layernorm_forward<double>(out.data(), mean.data(), rstd.data(), res.data(), to_double(w).data(),
                                   to_double(bias).data(), N, C);
    EXPECT_LT(rel_err(f_res.get(), res), kTol) << what;
    EXPECT_LT(rel_err(f_out.get(), out), kTol) << what;
    EXPECT_LT(rel_err(f_mean.get(), mean), kTol) << what;
  }
}

TEST_P(FusedOps, MatmulGeluIsTheComposition) {
  struct Case {
    int N, C, OC;
    bool bias;
  };
  for (Case k : {Case{1, 1, 1, true}, Case{7, 13, 5, true}, Case{37, 80, 200, true}, Case{37, 80, 202, false},
                 Case{130, 33, 72, true}}) {
    const int N = k.N, C = k.C, OC = k.OC;
    const size_t n = static_cast<size_t>(N) * OC;
    auto x = randn(static_cast<size_t>(N) * C), w = randn(static_cast<size_t>(OC) * C, 0.3), b = randn(OC);
    Dev d_x(*be, x), d_w(*be, w), d_b(*be, b);
    Dev f_pre(*be, n), f_out(*be, n), s_pre(*be, n), s_out(*be, n);
    const float* bias = k.bias ? d_b.p : nullptr;
    be->matmul_gelu_forward(f_out.p, f_pre.p, d_x.p, d_w.p, bias, N, C, OC);
    be->matmul_forward(s_pre.p, d_x.p, d_w.p, bias, N, C, OC);
    be->gelu_forward(s_out.p, s_pre.p, n);
    const std::string what = fmt::format("{} {}x{}x{}{}", GetParam(), N, C, OC, k.bias ? " bias" : "");
    EXPECT_TRUE(bit_equal(f_pre.get(), s_pre.get())) << what;
    EXPECT_TRUE(bit_equal(f_out.get(), s_out.get())) << what;

    Vd pre(n), out(n);
    ref::matmul_forward<double>(pre.data(), to_double(x).data(), to_double(w).data(),
                                k.bias ? to_double(b).data() : nullptr, N, C, OC);
    ref::gelu_forward<double>(out.data(), pre.data(), n);
    EXPECT_LT(rel_err(f_pre.get(), pre), kTol) << what;
    EXPECT_LT(rel_err(f_out.get(), out), kTol) << what;
  }
}

// On a backend whose activations are fp32 the activation transfers are the plain ones:
// each direction, mixed with the other kind, returns the same bits.
TEST_P(FusedOps, ActivationTransfersArePlainTransfers) {
  EXPECT_EQ(be->precision(), Precision::fp32);
  const size_t n = 1029;
  auto x = randn(n), y = randn(n);
  x[0] = -0.0f;  // signed zero and a subnormal survive
  x[1] = 1e-40f;
  Dev d(*be, n);
  be->upload_activations(d.p, x.data(), n);
  EXPECT_TRUE(bit_equal(d.get(), x));  // download
  std::vector<float> back(n);
  be->upload(d.p, y.data(), n);
  be->download_activations(back.data(), d.p, n);
  EXPECT_TRUE(bit_equal(back, y));
  be->upload_activations(d.p + 10, x.data(), 5);  // a range inside a buffer
  be->download_activations(back.data(), d.p, n);
  std::copy(x.begin(), x.begin() + 5, y.begin() + 10);
  EXPECT_TRUE(bit_equal(back, y));
}

INSTANTIATE_TEST_SUITE_P(Backends, FusedOps, ::testing::Values("cpu1", "cpu2", "reference"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace scalelab
