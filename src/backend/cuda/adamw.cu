// defines: the CUDA AdamW update and the sum of squares behind global-norm clipping
//          (kernels.cuh)
//
// AdamW (Loshchilov and Hutter 2019, algorithm 2) as in backend.h, one fused pass per
// tensor: the clipping factor, both moments, bias correction, decoupled weight decay and,
// in bf16 mode, the bf16 copy of the weights the matrix products read.
#include <cmath>

#include "backend/cuda/kernels.cuh"

namespace scalelab::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kReduceBlocks = 1024;  // fixed, so the partials are summed in a fixed order

__global__ void adamw_kernel(float* params, bf16* shadow, const float* grads, float* m, float* v, size_t n,
                             AdamWStep s, float inv_c1, float inv_c2) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const float g = s.grad_scale * grads[i];
    const float mi = s.beta1 * m[i] + (1.0f - s.beta1) * g;
    const float vi = s.beta2 * v[i] + (1.0f - s.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const float p = params[i];
    const float updated = p - s.lr * ((mi * inv_c1) / (sqrtf(vi * inv_c2) + s.eps) + s.weight_decay * p);
    params[i] = updated;
    if (shadow) shadow[i] = __float2bfloat16_rn(updated);
  }
}

__global__ void sum_squares_partials_kernel(double* partial, const float* x, size_t n) {
  __shared__ double shared[32];
  double s = 0.0;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const double xi = x[i];
    s += xi * xi;
  }
  s = block_reduce(s, shared, [](double a, double b) { return a + b; }, 0.0);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void sum_partials_kernel(double* out, const double* partial, int k) {
  __shared__ double shared[32];
  double s = 0.0;
  for (int i = threadIdx.x; i < k; i += blockDim.x) s += partial[i];
  s = block_reduce(s, shared, [](double a, double b) { return a + b; }, 0.0);
  if (threadIdx.x == 0) *out = s;
}

}  // namespace

double sum_squares(const float* x, size_t n, Scratch& scratch, cudaStream_t stream) {
  auto* partial = static_cast<double*>(scratch.get(Scratch::kReduce, sizeof(double) * (kReduceBlocks + 1)));
  sum_squares_partials_kernel<<<kReduceBlocks, kThreads, 0, stream>>>(partial, x, n);
  CUDA_CHECK(cudaGetLastError());
  sum_partials_kernel<<<1, kThreads, 0, stream>>>(partial + kReduceBlocks, partial, kReduceBlocks);
  CUDA_CHECK(cudaGetLastError());
  double result = 0.0;
  CUDA_CHECK(cudaMemcpyAsync(&result, partial + kReduceBlocks, sizeof(double), cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  return result;
}

void adamw_update(float* params, bf16* shadow, const float* grads, float* m, float* v, size_t n,
                  const AdamWStep& s, cudaStream_t stream) {
  // Bias corrections in double on the host, as the CPU kernel computes them.
  const auto inv_c1 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(s.beta1), double(s.t))));
  const auto inv_c2 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(s.beta2), double(s.t))));
  adamw_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(params, shadow, grads, m, v, n, s, inv_c1, inv_c2);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace scalelab::cuda
