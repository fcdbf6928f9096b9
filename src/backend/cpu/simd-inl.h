// defines: scalelab::cpu::HWY_NAMESPACE:: what the Highway kernel files share: the float
//          tag, the target's register budget, a clamped exp, lane sums; and the
//          whole-vector loops of core/simd-inl.h (ForVectors, LoadN, StoreN, ZeroPast)
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

#include "core/simd-inl.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;
using simd::HWY_NAMESPACE::ForVectors;
using simd::HWY_NAMESPACE::LoadN;
using simd::HWY_NAMESPACE::StoreN;
using simd::HWY_NAMESPACE::ZeroPast;

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

HWY_INLINE float SumLanes(DF d, VF v) { return hn::GetLane(hn::SumOfLanes(d, v)); }
HWY_INLINE float MaxLanes(DF d, VF v) { return hn::GetLane(hn::MaxOfLanes(d, v)); }

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SCALELAB_BACKEND_CPU_SIMD_INL_H_
