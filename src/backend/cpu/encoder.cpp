// defines: cpu::encoder_forward, cpu::encoder_backward
//
// Token plus position embedding. The backward pass scatters rows of dout into dwte at
// the token ids; two rows with the same token would race, so threads own disjoint sets
// of embedding rows instead of splitting the positions. The row additions are the
// Highway vector ops of vector_ops.cpp.
#include <omp.h>

#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T, int C,
                     int nt) {
  const int N = B * T;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int i = 0; i < N; ++i)
    add(out + static_cast<size_t>(i) * C, wte + static_cast<size_t>(inp[i]) * C, wpe + static_cast<size_t>(i % T) * C,
        C);
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
      add_into(dwte + static_cast<size_t>(inp[i]) * C, dout + static_cast<size_t>(i) * C, C);
    }
    // dwpe: this thread owns positions [t0, t1) and adds the batch rows in order.
    const Range r = split(T, nth, tid);
    for (size_t t = r.begin; t < r.end; ++t)
      add_rows_into(dwpe + t * C, dout + t * C, static_cast<size_t>(T) * C, B, C);
  }
}

}  // namespace scalelab::cpu
