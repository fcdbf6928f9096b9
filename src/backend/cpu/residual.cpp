// defines: cpu::residual_forward
//
// out = a + b over the residual stream (its backward is the identity: the model adds
// the incoming gradient to both branches itself).
#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

void residual_forward(float* out, const float* a, const float* b, size_t n, int nt) {
  const int64_t len = static_cast<int64_t>(n);
#pragma omp parallel for simd num_threads(nt) schedule(static)
  for (int64_t i = 0; i < len; ++i) out[i] = a[i] + b[i];
}

}  // namespace scalelab::cpu
