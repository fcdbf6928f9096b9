// defines: the CUDA token + position embedding kernels (kernels.cuh)
//
// The backward is deterministic without atomics. wpe: one thread per (t, c) sums over the
// batch. wte: the B*T positions are sorted by token with CUB's stable radix sort, and one
// block per distinct token sums that token's rows in position order (llm.c reaches the
// same determinism by bucketing on the host; sorting on the device avoids the copy).
#include <cub/device/device_radix_sort.cuh>

#include "backend/cuda/kernels.cuh"

namespace scalelab::cuda {

namespace {

template <class A>
__global__ void encoder_forward_kernel(A* out, const int32_t* inp, const float* wte, const float* wpe, int T, int C,
                                       size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const size_t row = i / C;
    const int c = static_cast<int>(i % C), t = static_cast<int>(row % T);
    out[i] = from_float<A>(wte[size_t(inp[row]) * C + c] + wpe[size_t(t) * C + c]);
  }
}

template <class A>
__global__ void wpe_backward_kernel(float* dwpe, const A* dout, int B, int T, int C) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;  // (t, c)
  if (i >= size_t(T) * C) return;
  float s = 0.0f;
  for (int b = 0; b < B; ++b) s += to_float(dout[size_t(b) * T * C + i]);
  dwpe[i] += s;
}

__global__ void iota_kernel(int32_t* x, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = i;
}

// Block i handles the run of equal tokens that starts at sorted position i, if one does.
template <class A>
__global__ void wte_backward_kernel(float* dwte, const A* dout, const int32_t* tokens, const int32_t* rows, int n,
                                    int C) {
  const int i = blockIdx.x;
  const int tok = tokens[i];
  if (i > 0 && tokens[i - 1] == tok) return;
  int end = i + 1;
  while (end < n && tokens[end] == tok) ++end;
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    float s = 0.0f;
    for (int j = i; j < end; ++j) s += to_float(dout[size_t(rows[j]) * C + c]);
    dwte[size_t(tok) * C + c] += s;
  }
}

}  // namespace

template <class A>
void encoder_forward(A* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T, int C,
                     cudaStream_t stream) {
  const size_t n = size_t(B) * T * C;
  encoder_forward_kernel<<<grid_for(n, 256), 256, 0, stream>>>(out, inp, wte, wpe, T, C, n);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void encoder_backward(float* dwte, float* dwpe, const A* dout, const int32_t* inp, int B, int T, int C,
                      Scratch& scratch, cudaStream_t stream) {
  wpe_backward_kernel<<<ceil_div(size_t(T) * C, 256), 256, 0, stream>>>(dwpe, dout, B, T, C);
  CUDA_CHECK(cudaGetLastError());

  const int n = B * T;
  // Scratch: rows in, sorted tokens, sorted rows, then CUB's temporary storage.
  size_t temp_bytes = 0;
  CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, static_cast<const int32_t*>(nullptr),
                                             static_cast<int32_t*>(nullptr), static_cast<const int32_t*>(nullptr),
                                             static_cast<int32_t*>(nullptr), n, 0, 32, stream));
  const size_t ints = 3 * size_t(n) + 64;  // + 64: keeps CUB's storage 256-byte aligned
  char* base = static_cast<char*>(scratch.get(Scratch::kSort, ints * sizeof(int32_t) + temp_bytes + 256));
  auto* rows_in = reinterpret_cast<int32_t*>(base);
  int32_t* tokens_sorted = rows_in + n;
  int32_t* rows_sorted = tokens_sorted + n;
  void* temp = base + ((3 * size_t(n) * sizeof(int32_t) + 255) / 256) * 256;
  iota_kernel<<<ceil_div(n, 256), 256, 0, stream>>>(rows_in, n);
  CUDA_CHECK(cudaGetLastError());
  CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, inp, tokens_sorted, rows_in, rows_sorted, n, 0, 32,
                                             stream));
  wte_backward_kernel<<<n, C < 256 ? ((C + 31) / 32) * 32 : 256, 0, stream>>>(dwte, dout, tokens_sorted,
                                                                               rows_sorted, n, C);
  CUDA_CHECK(cudaGetLastError());
}

#define SCALELAB_INSTANTIATE(A)                                                                               \
  template void encoder_forward<A>(A*, const int32_t*, const float*, const float*, int, int, int, cudaStream_t); \
  template void encoder_backward<A>(float*, float*, const A*, const int32_t*, int, int, int, Scratch&,          \
                                    cudaStream_t);
SCALELAB_INSTANTIATE(float)
SCALELAB_INSTANTIATE(bf16)
#undef SCALELAB_INSTANTIATE

}  // namespace scalelab::cuda
