// defines: cpu::crossentropy_forward_backward
//
// Softmax, cross-entropy loss and its gradient in one kernel, one row (V logits, in L1)
// per iteration, in Highway vectors: a sweep for the row maximum, one that overwrites the
// logits with e^{s z - max} while summing them, and, when a gradient is wanted, one that
// scales them in place to dloss s (p - onehot). The probabilities are never stored apart.
//   loss = log(sum_v e^{s z_v - max}) + max - s z_y   (nats)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/crossentropy.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <omp.h>

#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/simd-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {

void CrossEntropyRows(float* logits, float* losses, const int32_t* targets, size_t row_begin, size_t row_end, int V,
                      float s, float dloss) {
  const DF d;
  const VF vs = hn::Set(d, s);
  for (size_t i = row_begin; i < row_end; ++i) {
    float* z = logits + i * V;
    const int y = targets[i];
    if (y < 0) {  // an ignored position: no loss, no gradient
      losses[i] = 0.0f;
      if (dloss != 0.0f) std::fill(z, z + V, 0.0f);
      continue;
    }
    VF vmax = hn::Set(d, -INFINITY);
    ForVectors(d, V, [&]<bool kFull>(size_t v, size_t n) {
      vmax = hn::Max(vmax, hn::Mul(vs, LoadN<kFull>(d, z + v, n, -INFINITY)));
    });
    const float mx = MaxLanes(d, vmax);
    const VF vmx = hn::Set(d, mx);
    const float zy = s * z[y];
    VF vsum = hn::Zero(d);
    if (dloss != 0.0f) {
      ForVectors(d, V, [&]<bool kFull>(size_t v, size_t n) {
        const VF e = ZeroPast<kFull>(d, hn::Exp(d, hn::MulSub(vs, LoadN<kFull>(d, z + v, n), vmx)), n);
        StoreN<kFull>(d, e, z + v, n);
        vsum = hn::Add(vsum, e);
      });
      const float sum = SumLanes(d, vsum);
      const VF k = hn::Set(d, dloss * s / sum);
      ForVectors(d, V, [&]<bool kFull>(size_t v, size_t n) {
        StoreN<kFull>(d, hn::Mul(LoadN<kFull>(d, z + v, n), k), z + v, n);
      });
      z[y] -= dloss * s;
      losses[i] = static_cast<float>(std::log(static_cast<double>(sum)) + mx - zy);
    } else {
      ForVectors(d, V, [&]<bool kFull>(size_t v, size_t n) {
        vsum = hn::Add(vsum, ZeroPast<kFull>(d, hn::Exp(d, hn::MulSub(vs, LoadN<kFull>(d, z + v, n), vmx)), n));
      });
      losses[i] = static_cast<float>(std::log(static_cast<double>(SumLanes(d, vsum))) + mx - zy);
    }
  }
}

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace scalelab::cpu {

HWY_EXPORT(CrossEntropyRows);

void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                   float logit_scale, float dloss, int nt) {
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(N, omp_get_num_threads(), omp_get_thread_num());
    if (r.begin < r.end)
      HWY_DYNAMIC_DISPATCH(CrossEntropyRows)(logits, losses, targets, r.begin, r.end, V, logit_scale, dloss);
  }
}

}  // namespace scalelab::cpu
#endif  // HWY_ONCE
