// defines: cpu::sum_squares, cpu::adamw_update
//
// The optimizer's two passes over all parameters: the squared gradient norm (for global
// norm clipping) and the AdamW update (Loshchilov and Hutter 2019, algorithm 2, with the
// bias correction of Kingma and Ba 2015, algorithm 1):
//   g = grad_scale grad; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//   p -= lr (m / (1-b1^t) / (sqrt(v / (1-b2^t)) + eps) + wd p).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace scalelab::cpu {

// Per-thread partial sums in double over contiguous chunks, added in thread order.
double sum_squares(const float* x, size_t n, int nt) {
  std::vector<double> partial(static_cast<size_t>(nt) * 8, 0.0);  // 8 doubles apart: no false sharing
  int used = 1;
#pragma omp parallel num_threads(nt)
  {
    const int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    if (tid == 0) used = nth;
    const Range r = split(n, nth, tid, 16);
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (size_t i = r.begin; i < r.end; ++i) s += static_cast<double>(x[i]) * x[i];
    partial[static_cast<size_t>(tid) * 8] = s;
  }
  double total = 0.0;
  for (int t = 0; t < used; ++t) total += partial[static_cast<size_t>(t) * 8];
  return total;
}

namespace {
// x = sqrt(x) over a block. std::sqrt keeps an errno path (unless -fno-math-errno) that
// stops GCC from vectorising a loop around it, so the vector form is spelled out; all
// forms round correctly (IEEE 754), so results do not depend on the path taken.
void sqrt_block(float* x, int n) {
  int i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#elif defined(__AVX__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#elif defined(__SSE__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}
}  // namespace

void adamw_update(float* params, const float* grads, float* m, float* v, size_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, int64_t t, float grad_scale, int nt) {
  // Bias corrections in double: 1 - beta^t loses digits in float when beta is near 1.
  const float inv_c1 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(t))));
  const float inv_c2 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t))));
  constexpr int kBlock = 256;  // three passes over a block that stays in L1
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(n, omp_get_num_threads(), omp_get_thread_num(), 16);
    alignas(64) float den[kBlock];
    for (size_t b0 = r.begin; b0 < r.end; b0 += kBlock) {
      const int len = static_cast<int>(std::min<size_t>(kBlock, r.end - b0));
      float *p = params + b0, *mb = m + b0, *vb = v + b0;
      const float* g = grads + b0;
#pragma omp simd
      for (int i = 0; i < len; ++i) {
        const float gi = grad_scale * g[i];
        mb[i] = beta1 * mb[i] + (1.0f - beta1) * gi;
        vb[i] = beta2 * vb[i] + (1.0f - beta2) * gi * gi;
        den[i] = vb[i] * inv_c2;
      }
      sqrt_block(den, len);
#pragma omp simd
      for (int i = 0; i < len; ++i) p[i] -= lr * (mb[i] * inv_c1 / (den[i] + eps) + weight_decay * p[i]);
    }
  }
}

}  // namespace scalelab::cpu
