// defines: cpu::encoder_forward, cpu::encoder_backward
//
// Token plus position embedding. The backward pass scatters rows of dout into dwte at
// the token ids; two rows with the same token would race, so threads own disjoint sets
// of embedding rows instead of splitting the positions.
#include <omp.h>

#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T, int C,
                     int nt) {
  const int N = B * T;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int i = 0; i < N; ++i) {
    float* o = out + static_cast<size_t>(i) * C;
    const float* e = wte + static_cast<size_t>(inp[i]) * C;
    const float* p = wpe + static_cast<size_t>(i % T) * C;
#pragma omp simd
    for (int c = 0; c < C; ++c) o[c] = e[c] + p[c];
  }
}

void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T, int C, int nt) {
#pragma omp parallel num_threads(nt)
  {
    const int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    // dwte: this thread owns the rows of the tokens v with v % nth == tid, and adds their
    // gradient rows in position order (as the reference does), so the sums do not depend
    // on nt. Even in the worst case (every token owned by one thread) this is no slower
    // than one thread; splitting the channels instead ran 3x slower on 2 threads (both
    // threads writing halves of the same rows).
    for (int i = 0; i < B * T; ++i) {
      if (inp[i] % nth != tid) continue;
      const float* d = dout + static_cast<size_t>(i) * C;
      float* de = dwte + static_cast<size_t>(inp[i]) * C;
#pragma omp simd
      for (int c = 0; c < C; ++c) de[c] += d[c];
    }
    // dwpe: this thread owns positions [t0, t1) and adds the batch rows in order.
    const Range r = split(T, nth, tid);
    for (int b = 0; b < B; ++b)
      for (size_t t = r.begin; t < r.end; ++t) {
        const float* d = dout + (static_cast<size_t>(b) * T + t) * C;
        float* dp = dwpe + t * C;
#pragma omp simd
        for (int c = 0; c < C; ++c) dp[c] += d[c];
      }
  }
}

}  // namespace scalelab::cpu
