// defines: cpu::layernorm_forward, cpu::layernorm_backward
//
// LayerNorm (Ba, Kiros and Hinton 2016) over rows of C floats. A row fits in L1, so
// each pass below reads a row from memory once: forward computes mean and variance
// (two sweeps over the cached row, the numerically safe form) and writes the output;
// backward computes both row sums in one sweep and dinp, dw, db in a second. dw and db
// are sums over rows: each thread accumulates its rows into a private partial, and the
// partials are added in thread order, so the result is fixed for a given thread count.
#include <omp.h>

#include <cmath>
#include <vector>

#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N,
                       int C, int nt) {
  const float eps = 1e-5f;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int i = 0; i < N; ++i) {
    const float* x = inp + static_cast<size_t>(i) * C;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int c = 0; c < C; ++c) sum += x[c];
    const float m = sum / C;
    float var = 0.0f;
#pragma omp simd reduction(+ : var)
    for (int c = 0; c < C; ++c) var += (x[c] - m) * (x[c] - m);
    const float s = 1.0f / std::sqrt(var / C + eps);
    float* o = out + static_cast<size_t>(i) * C;
#pragma omp simd
    for (int c = 0; c < C; ++c) o[c] = (x[c] - m) * s * w[c] + b[c];
    mean[i] = m;
    rstd[i] = s;
  }
}

// dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = w dout, xhat = (x - mean) rstd.
void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                        const float* mean, const float* rstd, int N, int C, int nt) {
  // Per-thread partials of dw and db, padded to whole cache lines: (nt, 2, Cp).
  const size_t Cp = (static_cast<size_t>(C) + 15) / 16 * 16;
  std::vector<float> partial(static_cast<size_t>(nt) * 2 * Cp, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    const int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    float* pdw = partial.data() + static_cast<size_t>(tid) * 2 * Cp;
    float* pdb = pdw + Cp;
    const Range rows = split(N, nth, tid);
    for (size_t i = rows.begin; i < rows.end; ++i) {
      const float* x = inp + i * C;
      const float* d = dout + i * C;
      const float m = mean[i], s = rstd[i];
      float gsum = 0.0f, gxsum = 0.0f;
#pragma omp simd reduction(+ : gsum, gxsum)
      for (int c = 0; c < C; ++c) {
        const float g = w[c] * d[c];
        gsum += g;
        gxsum += g * (x[c] - m) * s;
      }
      const float gmean = gsum / C, gxmean = gxsum / C;
      float* dx = dinp + i * C;
#pragma omp simd
      for (int c = 0; c < C; ++c) {
        const float xhat = (x[c] - m) * s;
        dx[c] += s * (w[c] * d[c] - gmean - xhat * gxmean);
        pdw[c] += xhat * d[c];
        pdb[c] += d[c];
      }
    }
#pragma omp barrier
    // Combine the partials in thread order; threads split the channels.
    const Range cols = split(C, nth, tid, 16);
    for (int t = 0; t < nth; ++t) {
      const float* qdw = partial.data() + static_cast<size_t>(t) * 2 * Cp;
      const float* qdb = qdw + Cp;
#pragma omp simd
      for (size_t c = cols.begin; c < cols.end; ++c) {
        dw[c] += qdw[c];
        db[c] += qdb[c];
      }
    }
  }
}

}  // namespace scalelab::cpu
