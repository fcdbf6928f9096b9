// defines: the CUDA fused softmax cross-entropy kernel (kernels.cuh)
//
// One block per row of logits. Pass 1 keeps a running max and a rescaled running sum of
// exponentials per thread (the online softmax of Milakov and Gimelshein 2018), so the row
// is read once for the normaliser; pass 2 overwrites the row with the gradient
// dloss * scale * (p - onehot). The probabilities are never stored.
#include <cfloat>

#include "backend/cuda/kernels.cuh"

namespace scalelab::cuda {

namespace {

constexpr int kThreads = 512;

template <class A>
__global__ void crossentropy_kernel(A* logits, float* losses, const int32_t* targets, int V, float scale,
                                    float dloss) {
  __shared__ float shared[32];
  const int row = blockIdx.x;
  A* x = logits + size_t(row) * V;
  const int target = targets[row];
  float m = -FLT_MAX, s = 0.0f;
  for (int j = threadIdx.x; j < V; j += blockDim.x) {
    const float z = scale * to_float(x[j]);
    if (z > m) {
      s = s * __expf(m - z) + 1.0f;
      m = z;
    } else {
      s += __expf(z - m);
    }
  }
  const float M = block_reduce(m, shared, [](float a, float b) { return fmaxf(a, b); }, -FLT_MAX);
  const float S = block_reduce(s * __expf(m - M), shared, [](float a, float b) { return a + b; }, 0.0f);
  const float lse = M + logf(S);
  if (threadIdx.x == 0) losses[row] = target >= 0 ? lse - scale * to_float(x[target]) : 0.0f;
  if (dloss == 0.0f) return;
  __syncthreads();  // x[target] is read above before any thread overwrites it
  const float g = target >= 0 ? dloss * scale : 0.0f;
  for (int j = threadIdx.x; j < V; j += blockDim.x) {
    const float p = __expf(scale * to_float(x[j]) - lse);
    x[j] = from_float<A>(g * (p - (j == target ? 1.0f : 0.0f)));
  }
}

}  // namespace

template <class A>
void crossentropy_forward_backward(A* logits, float* losses, const int32_t* targets, int N, int V,
                                   float logit_scale, float dloss, cudaStream_t stream) {
  crossentropy_kernel<<<N, kThreads, 0, stream>>>(logits, losses, targets, V, logit_scale, dloss);
  CUDA_CHECK(cudaGetLastError());
}

#define SCALELAB_INSTANTIATE(A)                                                                          \
  template void crossentropy_forward_backward<A>(A*, float*, const int32_t*, int, int, float, float,    \
                                                 cudaStream_t);
SCALELAB_INSTANTIATE(float)
SCALELAB_INSTANTIATE(bf16)
#undef SCALELAB_INSTANTIATE

}  // namespace scalelab::cuda
