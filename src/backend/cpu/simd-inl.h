// defines: scalelab::cpu::HWY_NAMESPACE:: what the Highway kernel files share: the float
//          tag, the target's register budget, a clamped exp, a lane sum
//
// Included by each kernel file after "hwy/highway.h", once per target (Highway's
// foreach_target re-includes the file that includes this one); hence the toggling guard,
// Highway's convention for per-target headers.
#if defined(SCALELAB_BACKEND_CPU_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SCALELAB_BACKEND_CPU_SIMD_INL_H_
#undef SCALELAB_BACKEND_CPU_SIMD_INL_H_
#else
#define SCALELAB_BACKEND_CPU_SIMD_INL_H_
#endif

#include <cstring>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Architectural vector registers: the budget for register-blocked loops (accumulators,
// operands and broadcasts must fit, or the compiler spills to the stack).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr int kVectorRegisters = 32;  // zmm0-31
#elif HWY_ARCH_ARM
inline constexpr int kVectorRegisters = 32;  // v0-31
#else
inline constexpr int kVectorRegisters = 16;  // ymm/xmm0-15, and the emulated scalar target
#endif

// e^x for x <= 88 (larger inputs are clamped there, so results stay finite: callers form
// products such as e * s that must not become inf * 0). Highway's Exp: 1 ulp, and exactly
// 0 below -104.
HWY_INLINE VF ExpClamped(DF d, VF x) { return hn::Exp(d, hn::Min(x, hn::Set(d, 88.0f))); }

// Whole-vector access to the last n < lanes floats of an array, through a stack buffer:
// no read or write past the end (Highway's MaskedLoad may read the full vector on some
// targets). Lanes past n load as 0.
HWY_INLINE VF LoadTail(DF d, const float* p, size_t n) {
  HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)] = {};
  std::memcpy(buf, p, n * sizeof(float));
  return hn::Load(d, buf);
}
HWY_INLINE void StoreTail(DF d, VF v, float* p, size_t n) {
  HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, buf);
  std::memcpy(p, buf, n * sizeof(float));
}

// A vector of p[0..n): whole (kFull, n == lanes) or the tail, lanes past n set to `fill`.
template <bool kFull>
HWY_INLINE VF LoadN(DF d, const float* p, size_t n, float fill = 0.0f) {
  if constexpr (kFull) {
    return hn::LoadU(d, p);
  } else {
    const VF v = LoadTail(d, p, n);
    return fill == 0.0f ? v : hn::IfThenElse(hn::FirstN(d, n), v, hn::Set(d, fill));
  }
}
template <bool kFull>
HWY_INLINE void StoreN(DF d, VF v, float* p, size_t n) {
  if constexpr (kFull) {
    hn::StoreU(v, d, p);
  } else {
    StoreTail(d, v, p, n);
  }
}
// v with the lanes past n zeroed (a tail's contribution to a sum).
template <bool kFull>
HWY_INLINE VF ZeroPast(DF d, VF v, size_t n) {
  if constexpr (kFull) {
    return v;
  } else {
    return hn::IfThenElseZero(hn::FirstN(d, n), v);
  }
}

// f.template operator()<kFull>(i, n) over [0, len) in vectors: n == lanes for whole ones,
// then once for the tail (n < lanes) if any.
template <class F>
HWY_INLINE void ForVectors(size_t len, F&& f) {
  const size_t N = hn::Lanes(DF());
  size_t i = 0;
  for (; i + N <= len; i += N) f.template operator()<true>(i, N);
  if (i < len) f.template operator()<false>(i, len - i);
}

HWY_INLINE float SumLanes(DF d, VF v) { return hn::GetLane(hn::SumOfLanes(d, v)); }
HWY_INLINE float MaxLanes(DF d, VF v) { return hn::GetLane(hn::MaxOfLanes(d, v)); }

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SCALELAB_BACKEND_CPU_SIMD_INL_H_
