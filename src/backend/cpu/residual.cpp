// defines: cpu::residual_forward
//
// out = a + b over the residual stream (its backward is the identity: the model adds
// the incoming gradient to both branches itself).
#include <omp.h>

#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

void residual_forward(float* out, const float* a, const float* b, size_t n, int nt) {
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(n, omp_get_num_threads(), omp_get_thread_num(), 64);
    if (r.begin < r.end) add(out + r.begin, a + r.begin, b + r.begin, r.end - r.begin);
  }
}

}  // namespace scalelab::cpu
