// defines: the CUDA GELU, residual, bias and conversion kernels (kernels.cuh)
//
// Memory-bound elementwise ops: grid-stride loops over the flat index, fp32 arithmetic on
// values loaded from the activation type.
#include "backend/cuda/kernels.cuh"

namespace scalelab::cuda {

namespace {

constexpr int kThreads = 256;
// GELU, tanh approximation (Hendrycks and Gimpel 2016): 0.5 x (1 + tanh(k (x + 0.044715 x^3))),
// k = sqrt(2 / pi).
constexpr float kGeluK = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;

template <class A>
__global__ void gelu_forward_kernel(A* out, const A* inp, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const float x = to_float(inp[i]);
    out[i] = from_float<A>(0.5f * x * (1.0f + tanhf(kGeluK * (x + kGeluC * x * x * x))));
  }
}

template <class A>
__global__ void gelu_backward_kernel(A* dinp, const A* inp, const A* dout, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const float x = to_float(inp[i]);
    const float u = kGeluK * (x + kGeluC * x * x * x);
    const float th = tanhf(u);
    const float sech2 = 1.0f - th * th;
    const float grad = 0.5f * (1.0f + th) + 0.5f * x * sech2 * kGeluK * (1.0f + 3.0f * kGeluC * x * x);
    dinp[i] = from_float<A>(to_float(dinp[i]) + grad * to_float(dout[i]));
  }
}

template <class A>
__global__ void residual_kernel(A* out, const A* a, const A* b, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    out[i] = from_float<A>(to_float(a[i]) + to_float(b[i]));
}

template <class A>
__global__ void add_bias_kernel(A* out, const float* bias, size_t n, int OC) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    out[i] = from_float<A>(to_float(out[i]) + bias[i % OC]);
}

// Pass 1: partial[chunk][c] = sum of dout[r][c] over the chunk's rows, one thread per
// column (a warp reads 32 adjacent columns of a row: coalesced).
template <class A>
__global__ void column_partials_kernel(float* partial, const A* dout, int N, int OC, int rows_per_chunk) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= OC) return;
  const int r0 = blockIdx.y * rows_per_chunk, r1 = min(N, r0 + rows_per_chunk);
  float s = 0.0f;
  for (int r = r0; r < r1; ++r) s += to_float(dout[size_t(r) * OC + c]);
  partial[size_t(blockIdx.y) * OC + c] = s;
}

// Pass 2: out[c] += sum over chunks, in chunk order.
__global__ void column_finish_kernel(float* out, const float* partial, int chunks, int OC) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= OC) return;
  float s = 0.0f;
  for (int k = 0; k < chunks; ++k) s += partial[size_t(k) * OC + c];
  out[c] += s;
}

__global__ void float_to_bf16_kernel(bf16* out, const float* in, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16_rn(in[i]);
}

__global__ void bf16_to_float_kernel(float* out, const bf16* in, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    out[i] = __bfloat162float(in[i]);
}

}  // namespace

template <class A>
void gelu_forward(A* out, const A* inp, size_t n, cudaStream_t stream) {
  gelu_forward_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(out, inp, n);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void gelu_backward(A* dinp, const A* inp, const A* dout, size_t n, cudaStream_t stream) {
  gelu_backward_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(dinp, inp, dout, n);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void residual_forward(A* out, const A* a, const A* b, size_t n, cudaStream_t stream) {
  residual_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(out, a, b, n);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void add_bias(A* out, const float* bias, int N, int OC, cudaStream_t stream) {
  const size_t n = size_t(N) * OC;
  add_bias_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(out, bias, n, OC);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void bias_backward(float* dbias, const A* dout, int N, int OC, Scratch& scratch, cudaStream_t stream) {
  // Enough chunks to fill the GPU when OC is small, few enough that pass 2 is cheap.
  const int rows_per_chunk = 64;
  const int chunks = static_cast<int>(ceil_div(static_cast<size_t>(N), rows_per_chunk));
  auto* partial = static_cast<float*>(scratch.get(Scratch::kColumnPartials, sizeof(float) * size_t(chunks) * OC));
  const dim3 grid(ceil_div(OC, 128), chunks);
  column_partials_kernel<<<grid, 128, 0, stream>>>(partial, dout, N, OC, rows_per_chunk);
  CUDA_CHECK(cudaGetLastError());
  column_finish_kernel<<<ceil_div(OC, 128), 128, 0, stream>>>(dbias, partial, chunks, OC);
  CUDA_CHECK(cudaGetLastError());
}

void float_to_bf16(bf16* out, const float* in, size_t n, cudaStream_t stream) {
  float_to_bf16_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(out, in, n);
  CUDA_CHECK(cudaGetLastError());
}

void bf16_to_float(float* out, const bf16* in, size_t n, cudaStream_t stream) {
  bf16_to_float_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(out, in, n);
  CUDA_CHECK(cudaGetLastError());
}

#define SCALELAB_INSTANTIATE(A)                                                                    \
  template void gelu_forward<A>(A*, const A*, size_t, cudaStream_t);                               \
  template void gelu_backward<A>(A*, const A*, const A*, size_t, cudaStream_t);                    \
  template void residual_forward<A>(A*, const A*, const A*, size_t, cudaStream_t);                 \
  template void add_bias<A>(A*, const float*, int, int, cudaStream_t);                             \
  template void bias_backward<A>(float*, const A*, int, int, Scratch&, cudaStream_t);
SCALELAB_INSTANTIATE(float)
SCALELAB_INSTANTIATE(bf16)
#undef SCALELAB_INSTANTIATE

}  // namespace scalelab::cuda
