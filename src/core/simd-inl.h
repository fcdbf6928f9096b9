// defines: scalelab::simd::HWY_NAMESPACE:: whole-vector loops over arrays of any lane type
//          for the Highway code of every layer (backend/cpu kernels, fit objectives):
//          ForVectors, LoadN, StoreN, ZeroPast
//
// Included after "hwy/highway.h", once per target (Highway's foreach_target re-includes
// the file that includes this one); hence the toggling guard, Highway's convention for
// per-target headers.
//
//   ForVectors(d, n, [&]<bool kFull>(size_t i, size_t len) {
//     StoreN<kFull>(d, hn::Add(LoadN<kFull>(d, a + i, len), LoadN<kFull>(d, b + i, len)), out + i, len);
//   });
#if defined(SCALELAB_CORE_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SCALELAB_CORE_SIMD_INL_H_
#undef SCALELAB_CORE_SIMD_INL_H_
#else
#define SCALELAB_CORE_SIMD_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::simd::HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// f.template operator()<kFull>(i, n) over [0, len) in vectors of d: n == lanes for whole
// ones, then once for the tail (n < lanes) if any.
template <class D, class F>
HWY_INLINE void ForVectors(D d, size_t len, F&& f) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= len; i += N) f.template operator()<true>(i, N);
  if (i < len) f.template operator()<false>(i, len - i);
}

// A vector of p[0..n): whole (kFull, n == lanes) or the tail, through a stack buffer (no
// read past the end of the array; Highway's MaskedLoad may read the whole vector on some
// targets), lanes past n set to `fill`.
template <bool kFull, class D>
HWY_INLINE hn::Vec<D> LoadN(D d, const hn::TFromD<D>* p, size_t n, hn::TFromD<D> fill = 0) {
  if constexpr (kFull) {
    return hn::LoadU(d, p);
  } else {
    using T = hn::TFromD<D>;
    HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
    std::memcpy(buf, p, n * sizeof(T));
    const hn::Vec<D> v = hn::Load(d, buf);
    return fill == T(0) ? v : hn::IfThenElse(hn::FirstN(d, n), v, hn::Set(d, fill));
  }
}

// Stores the first n lanes of v (all of them when kFull), writing nothing past p[n).
template <bool kFull, class D>
HWY_INLINE void StoreN(D d, hn::Vec<D> v, hn::TFromD<D>* p, size_t n) {
  if constexpr (kFull) {
    hn::StoreU(v, d, p);
  } else {
    using T = hn::TFromD<D>;
    HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)];
    hn::Store(v, d, buf);
    std::memcpy(p, buf, n * sizeof(T));
  }
}

// v with the lanes past n zeroed (a tail's contribution to a sum).
template <bool kFull, class D>
HWY_INLINE hn::Vec<D> ZeroPast(D d, hn::Vec<D> v, size_t n) {
  if constexpr (kFull) {
    return v;
  } else {
    return hn::IfThenElseZero(hn::FirstN(d, n), v);
  }
}

}  // namespace scalelab::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SCALELAB_CORE_SIMD_INL_H_
