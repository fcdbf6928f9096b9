// defines: cpu::gelu_forward, cpu::gelu_backward
//
// GELU, tanh form (Hendrycks and Gimpel 2016, sec. 2):
//   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3).
// Since 0.5 (1 + tanh(u)) = sigmoid(2u) = 1 / (1 + e^{-2u}), one exp gives both passes
// without the cancellation of 1 + tanh(u) near -1:
//   gelu(x)  = x s,  s = 1 / (1 + e),  e = e^{-2u}
//   gelu'(x) = s + 2 x s (1 - s) u',   1 - s = e s,  u' = sqrt(2/pi) (1 + 3 0.044715 x^2).
// Highway vectors; threads take contiguous pieces, each a whole number of vectors.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/gelu.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <omp.h>

#include "backend/cpu/kernels.h"
#include "backend/cpu/simd-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {
namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;

// e = e^{-2u} for x (clamped: e * s below must stay finite).
HWY_INLINE VF ExpMinus2U(DF d, VF x) {
  const VF x2 = hn::Mul(x, x);
  const VF u = hn::Mul(hn::Mul(hn::Set(d, kSqrt2OverPi), x), hn::MulAdd(hn::Set(d, kCubic), x2, hn::Set(d, 1.0f)));
  return ExpClamped(d, hn::Mul(hn::Set(d, -2.0f), u));
}

HWY_INLINE VF GeluF(DF d, VF x) { return hn::Div(x, hn::Add(hn::Set(d, 1.0f), ExpMinus2U(d, x))); }

HWY_INLINE VF GeluGrad(DF d, VF x) {
  const VF one = hn::Set(d, 1.0f);
  const VF e = ExpMinus2U(d, x);
  const VF s = hn::Div(one, hn::Add(one, e));
  const VF du = hn::Mul(hn::Set(d, kSqrt2OverPi), hn::MulAdd(hn::Set(d, 3.0f * kCubic), hn::Mul(x, x), one));
  // s + 2 x s (e s) du
  return hn::MulAdd(hn::Mul(hn::Mul(hn::Set(d, 2.0f), x), hn::Mul(s, hn::Mul(e, s))), du, s);
}
}  // namespace

void GeluForwardRange(float* out, const float* inp, size_t begin, size_t end) {
  const DF d;
  ForVectors(d, end - begin, [&]<bool kFull>(size_t off, size_t n) {
    const size_t i = begin + off;
    StoreN<kFull>(d, GeluF(d, LoadN<kFull>(d, inp + i, n)), out + i, n);
  });
}

void GeluBackwardRange(float* dinp, const float* inp, const float* dout, size_t begin, size_t end) {
  const DF d;
  ForVectors(d, end - begin, [&]<bool kFull>(size_t off, size_t n) {
    const size_t i = begin + off;
    const VF g = hn::MulAdd(LoadN<kFull>(d, dout + i, n), GeluGrad(d, LoadN<kFull>(d, inp + i, n)),
                            LoadN<kFull>(d, dinp + i, n));
    StoreN<kFull>(d, g, dinp + i, n);
  });
}

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace scalelab::cpu {

HWY_EXPORT(GeluForwardRange);
HWY_EXPORT(GeluBackwardRange);

void gelu_forward(float* out, const float* inp, size_t n, int nt) {
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(n, omp_get_num_threads(), omp_get_thread_num(), 64);
    if (r.begin < r.end) HWY_DYNAMIC_DISPATCH(GeluForwardRange)(out, inp, r.begin, r.end);
  }
}

void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n, int nt) {
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(n, omp_get_num_threads(), omp_get_thread_num(), 64);
    if (r.begin < r.end) HWY_DYNAMIC_DISPATCH(GeluBackwardRange)(dinp, inp, dout, r.begin, r.end);
  }
}

}  // namespace scalelab::cpu
#endif  // HWY_ONCE
