// defines: cpu::gelu_forward, cpu::gelu_backward
//
// GELU, tanh form (Hendrycks and Gimpel 2016, sec. 2):
//   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3).
// Since 0.5 (1 + tanh(u)) = sigmoid(2u) = 1 / (1 + e^{-2u}), one exp gives both passes
// without the cancellation of 1 + tanh(u) near -1:
//   gelu(x)  = x s,  s = 1 / (1 + e),  e = e^{-2u}
//   gelu'(x) = s + 2 x s (1 - s) u',   1 - s = e s,  u' = sqrt(2/pi) (1 + 3 0.044715 x^2).
// exp_approx (kernels.h) keeps the loops vectorised; relative error stays near 1e-7.
#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;
}  // namespace

void gelu_forward(float* out, const float* inp, size_t n, int nt) {
  const int64_t len = static_cast<int64_t>(n);
#pragma omp parallel for simd num_threads(nt) schedule(static)
  for (int64_t i = 0; i < len; ++i) {
    const float x = inp[i];
    const float u = kSqrt2OverPi * (x + kCubic * x * x * x);
    out[i] = x / (1.0f + exp_approx(-2.0f * u));
  }
}

void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n, int nt) {
  const int64_t len = static_cast<int64_t>(n);
#pragma omp parallel for simd num_threads(nt) schedule(static)
  for (int64_t i = 0; i < len; ++i) {
    const float x = inp[i];
    const float u = kSqrt2OverPi * (x + kCubic * x * x * x);
    const float e = exp_approx(-2.0f * u);
    const float s = 1.0f / (1.0f + e);
    const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * x * x);
    dinp[i] += dout[i] * (s + 2.0f * x * s * (e * s) * du);
  }
}

}  // namespace scalelab::cpu
