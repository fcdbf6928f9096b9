// defines: cpu::crossentropy_forward_backward
//
// Softmax, cross-entropy loss and its gradient in one kernel, one row (V logits, in L1)
// per iteration: a sweep for the row maximum, one that overwrites the logits with
// e^{s z - max} while summing them, and, when a gradient is wanted, one that scales
// them in place to dloss s (p - onehot). The probabilities are never stored apart.
//   loss = log(sum_v e^{s z_v - max}) + max - s z_y   (nats)
#include <cmath>

#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                   float logit_scale, float dloss, int nt) {
  const float s = logit_scale;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int i = 0; i < N; ++i) {
    float* z = logits + static_cast<size_t>(i) * V;
    const int y = targets[i];
    if (y < 0) {
      losses[i] = 0.0f;
      if (dloss != 0.0f)
        for (int v = 0; v < V; ++v) z[v] = 0.0f;
      continue;
    }
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int v = 0; v < V; ++v) mx = s * z[v] > mx ? s * z[v] : mx;  // std::fmax would not vectorise
    const float zy = s * z[y];
    float sum = 0.0f;
    if (dloss != 0.0f) {
#pragma omp simd reduction(+ : sum)
      for (int v = 0; v < V; ++v) {
        z[v] = exp_approx(s * z[v] - mx);
        sum += z[v];
      }
      const float k = dloss * s / sum;
#pragma omp simd
      for (int v = 0; v < V; ++v) z[v] *= k;
      z[y] -= dloss * s;
    } else {
#pragma omp simd reduction(+ : sum)
      for (int v = 0; v < V; ++v) sum += exp_approx(s * z[v] - mx);
    }
    losses[i] = static_cast<float>(std::log(static_cast<double>(sum)) + mx - zy);
  }
}

}  // namespace scalelab::cpu
