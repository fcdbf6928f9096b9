// defines: cpu::sum_squares, cpu::adamw_update
//
// The optimizer's two passes over all parameters, in Highway vectors: the squared
// gradient norm (for global norm clipping, summed in double) and the AdamW update
// (Loshchilov and Hutter 2019, algorithm 2, with the bias correction of Kingma and Ba
// 2015, algorithm 1):
//   g = grad_scale grad; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//   p -= lr (m / (1-b1^t) / (sqrt(v / (1-b2^t)) + eps) + wd p).
// The square root and division round correctly on every path (IEEE 754).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/adamw.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <omp.h>

#include <cmath>
#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/cpu/simd-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {

double SumSquaresRange(const float* x, size_t begin, size_t end) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> dh;  // as many floats as dd has doubles
  const size_t N = hn::Lanes(dd);
  auto acc0 = hn::Zero(dd), acc1 = hn::Zero(dd);
  size_t i = begin;
  for (; i + 2 * N <= end; i += 2 * N) {
    const auto a = hn::PromoteTo(dd, hn::LoadU(dh, x + i)), b = hn::PromoteTo(dd, hn::LoadU(dh, x + i + N));
    acc0 = hn::MulAdd(a, a, acc0);
    acc1 = hn::MulAdd(b, b, acc1);
  }
  double s = hn::GetLane(hn::SumOfLanes(dd, hn::Add(acc0, acc1)));
  for (; i < end; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

void AdamWRange(float* params, const float* grads, float* m, float* v, size_t begin, size_t end, float lr,
                float beta1, float beta2, float eps, float weight_decay, float inv_c1, float inv_c2,
                float grad_scale) {
  const DF d;
  const VF b1 = hn::Set(d, beta1), b2 = hn::Set(d, beta2), omb1 = hn::Set(d, 1.0f - beta1),
           omb2 = hn::Set(d, 1.0f - beta2), vlr = hn::Set(d, lr), veps = hn::Set(d, eps),
           vwd = hn::Set(d, weight_decay), c1 = hn::Set(d, inv_c1), c2 = hn::Set(d, inv_c2),
           gs = hn::Set(d, grad_scale);
  ForVectors(d, end - begin, [&]<bool kFull>(size_t off, size_t n) {
    const size_t i = begin + off;
    const VF g = hn::Mul(gs, LoadN<kFull>(d, grads + i, n));
    const VF mi = hn::MulAdd(b1, LoadN<kFull>(d, m + i, n), hn::Mul(omb1, g));
    const VF vi = hn::MulAdd(b2, LoadN<kFull>(d, v + i, n), hn::Mul(hn::Mul(omb2, g), g));
    const VF p = LoadN<kFull>(d, params + i, n);
    const VF den = hn::Add(hn::Sqrt(hn::Mul(vi, c2)), veps);
    const VF step = hn::MulAdd(vwd, p, hn::Div(hn::Mul(mi, c1), den));
    StoreN<kFull>(d, mi, m + i, n);
    StoreN<kFull>(d, vi, v + i, n);
    StoreN<kFull>(d, hn::NegMulAdd(vlr, step, p), params + i, n);
  });
}

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace scalelab::cpu {

HWY_EXPORT(SumSquaresRange);
HWY_EXPORT(AdamWRange);

// Per-thread partial sums in double over contiguous chunks, added in thread order.
double sum_squares(const float* x, size_t n, int nt) {
  std::vector<double> partial(static_cast<size_t>(nt) * 8, 0.0);  // 8 doubles apart: no false sharing
  int used = 1;
#pragma omp parallel num_threads(nt)
  {
    const int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    if (tid == 0) used = nth;
    const Range r = split(n, nth, tid, 16);
    partial[static_cast<size_t>(tid) * 8] = r.begin < r.end ? HWY_DYNAMIC_DISPATCH(SumSquaresRange)(x, r.begin, r.end)
                                                            : 0.0;
  }
  double total = 0.0;
  for (int t = 0; t < used; ++t) total += partial[static_cast<size_t>(t) * 8];
  return total;
}

void adamw_update(float* params, const float* grads, float* m, float* v, size_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, int64_t t, float grad_scale, int nt) {
  // Bias corrections in double: 1 - beta^t loses digits in float when beta is near 1.
  const float inv_c1 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(t))));
  const float inv_c2 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t))));
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(n, omp_get_num_threads(), omp_get_thread_num(), 16);
    if (r.begin < r.end)
      HWY_DYNAMIC_DISPATCH(AdamWRange)(params, grads, m, v, r.begin, r.end, lr, beta1, beta2, eps, weight_decay,
                                       inv_c1, inv_c2, grad_scale);
  }
}

}  // namespace scalelab::cpu
#endif  // HWY_ONCE
