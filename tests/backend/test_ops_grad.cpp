// Finite-difference gradient checks, in double precision, of every reference op
// (backend/reference_ops.h); the fast kernels are in turn checked against these ops
// (test_ops.cpp), so together they tie every backward kernel to its forward.
// Each check takes a scalar L = sum(r * out) for a random r (so dout = r), perturbs every
// input element by +-h with h = 1e-5 and compares the central difference with the
// backward op: norm-wise relative error below 1e-7 (central-difference truncation error
// is O(h^2) ~ 1e-10 and rounding ~ 1e-16 / h ~ 1e-11).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "backend/reference_ops.h"
#include "core/rng.h"

namespace scalelab {
namespace {

using Vd = std::vector<double>;
constexpr double kH = 1e-5;
constexpr double kTol = 1e-7;

Vd randn(Rng& rng, size_t n, double scale = 1.0) {
  Vd v(n);
  for (auto& x : v) x = scale * rng.normal();
  return v;
}

double dot(const Vd& a, const Vd& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Compares `analytic` with central differences of `loss` with respect to every entry of x.
void check_grad(Vd& x, const Vd& analytic, const std::function<double()>& loss, const std::string& what) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + kH;
    const double lp = loss();
    x[i] = saved - kH;
    const double lm = loss();
    x[i] = saved;
    const double fd = (lp - lm) / (2 * kH);
    num = std::max(num, std::abs(fd - analytic[i]));
    den = std::max(den, std::abs(fd));
  }
  ASSERT_GT(den, 0.0) << what << ": the gradient is identically zero, the check proves nothing";
  EXPECT_LT(num / den, kTol) << what;
}

TEST(OpsGrad, Encoder) {
  Rng rng(1);
  const int B = 2, T = 3, C = 5, V = 7;
  std::vector<int32_t> inp = {1, 4, 1, 6, 0, 4};
  Vd wte = randn(rng, V * C), wpe = randn(rng, T * C), r = randn(rng, B * T * C), out(B * T * C);
  auto loss = [&] {
    ref::encoder_forward<double>(out.data(), inp.data(), wte.data(), wpe.data(), B, T, C);
    return dot(out, r);
  };
  Vd dwte(V * C, 0.0), dwpe(T * C, 0.0);
  ref::encoder_backward<double>(dwte.data(), dwpe.data(), r.data(), inp.data(), B, T, C);
  check_grad(wte, dwte, loss, "encoder dwte");
  check_grad(wpe, dwpe, loss, "encoder dwpe");
}

TEST(OpsGrad, LayerNorm) {
  Rng rng(2);
  const int N = 4, C = 7;
  Vd x = randn(rng, N * C, 2.0), w = randn(rng, C), b = randn(rng, C), r = randn(rng, N * C);
  Vd out(N * C), mean(N), rstd(N);
  auto loss = [&] {
    ref::layernorm_forward<double>(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
    return dot(out, r);
  };
  loss();
  Vd dx(N * C, 0.0), dw(C, 0.0), db(C, 0.0);
  ref::layernorm_backward<double>(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), mean.data(),
                                  rstd.data(), N, C);
  check_grad(x, dx, loss, "layernorm dinp");
  check_grad(w, dw, loss, "layernorm dw");
  check_grad(b, db, loss, "layernorm db");
}

TEST(OpsGrad, Matmul) {
  Rng rng(3);
  const int N = 5, C = 4, OC = 3;
  Vd x = randn(rng, N * C), w = randn(rng, OC * C), b = randn(rng, OC), r = randn(rng, N * OC), out(N * OC);
  auto loss = [&] {
    ref::matmul_forward<double>(out.data(), x.data(), w.data(), b.data(), N, C, OC);
    return dot(out, r);
  };
  Vd dx(N * C, 0.0), dw(OC * C, 0.0), db(OC, 0.0);
  ref::matmul_backward<double>(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), N, C, OC);
  check_grad(x, dx, loss, "matmul dinp");
  check_grad(w, dw, loss, "matmul dw");
  check_grad(b, db, loss, "matmul dbias");
}

TEST(OpsGrad, Attention) {
  Rng rng(4);
  const int B = 2, T = 4, NH = 2, hs = 3, C = NH * hs;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hs));
  Vd qkv = randn(rng, B * T * 3 * C), r = randn(rng, B * T * C), out(B * T * C), att(B * NH * T * T);
  auto loss = [&] {
    ref::attention_forward<double>(out.data(), att.data(), qkv.data(), B, T, C, NH, scale);
    return dot(out, r);
  };
  loss();
  Vd dqkv(B * T * 3 * C, 0.0);
  ref::attention_backward<double>(dqkv.data(), r.data(), qkv.data(), att.data(), B, T, C, NH, scale);
  check_grad(qkv, dqkv, loss, "attention dqkv");
}

TEST(OpsGrad, Gelu) {
  Rng rng(5);
  const size_t n = 41;
  Vd x = randn(rng, n, 2.5), r = randn(rng, n), out(n);
  auto loss = [&] {
    ref::gelu_forward<double>(out.data(), x.data(), n);
    return dot(out, r);
  };
  Vd dx(n, 0.0);
  ref::gelu_backward<double>(dx.data(), x.data(), r.data(), n);
  check_grad(x, dx, loss, "gelu dinp");
}

TEST(OpsGrad, Residual) {
  Rng rng(6);
  const size_t n = 9;
  Vd a = randn(rng, n), b = randn(rng, n), r = randn(rng, n), out(n);
  auto loss = [&] {
    ref::residual_forward<double>(out.data(), a.data(), b.data(), n);
    return dot(out, r);
  };
  check_grad(a, r, loss, "residual da");  // the backward of a sum passes dout to both inputs
  check_grad(b, r, loss, "residual db");
}

TEST(OpsGrad, CrossEntropy) {
  Rng rng(7);
  const int N = 5, V = 6;
  const double s = 0.8, dloss = 0.37;
  std::vector<int32_t> y = {2, -1, 0, 5, 3};
  Vd z = randn(rng, N * V, 2.0), losses(N);
  auto loss = [&] {
    Vd zc = z;  // dloss = 0 leaves the logits alone, but keep z pristine regardless
    ref::crossentropy_forward_backward<double>(zc.data(), losses.data(), y.data(), N, V, s, 0.0);
    double sum = 0;
    for (double l : losses) sum += dloss * l;
    return sum;
  };
  Vd grad = z;
  ref::crossentropy_forward_backward<double>(grad.data(), losses.data(), y.data(), N, V, s, dloss);
  check_grad(z, grad, loss, "crossentropy dlogits");
  EXPECT_EQ(losses[1], 0.0);  // the ignored target
}

}  // namespace
}  // namespace scalelab
