// defines: CUDA_CHECK, scalelab::cuda::bf16, to_float, from_float, warp and block
//          reductions, grid sizing
//
// What every kernel file of backend/cuda/ shares. Kernels are templated on the activation
// type A (float in fp32/tf32 mode, bf16 in bf16 mode): values are loaded into fp32,
// computed in fp32 and stored back as A, so one source serves both precisions.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

#include "core/error.h"

// A failed CUDA call is a bug or a broken device, not bad input: it aborts with the call
// and CUDA's message, as SL_ASSERT does.
#define CUDA_CHECK(call)                                                                                    \
  do {                                                                                                      \
    cudaError_t err_ = (call);                                                                              \
    if (err_ != cudaSuccess)                                                                                \
      throw ::scalelab::InternalError(fmt::format("{}:{}: {} failed: {}", __FILE__, __LINE__, #call,        \
                                                  cudaGetErrorString(err_)));                               \
  } while (0)

namespace scalelab::cuda {

using bf16 = __nv_bfloat16;

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(bf16 x) { return __bfloat162float(x); }
template <class A>
__device__ __forceinline__ A from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) { return x; }
template <>
__device__ __forceinline__ bf16 from_float<bf16>(float x) { return __float2bfloat16_rn(x); }

// Sums over the 32 lanes of a warp, in a fixed order (so the result is deterministic).
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Reduces one value per thread over a block of at most 1024 threads (a multiple of 32);
// every thread gets the result. `shared` holds 32 values. Two barriers, fixed order.
template <class V, class Op>
__device__ V block_reduce(V v, V* shared, Op op, V identity) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();  // `shared` may still be read by a previous call
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : identity;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__host__ __device__ inline unsigned ceil_div(size_t a, size_t b) { return static_cast<unsigned>((a + b - 1) / b); }

// Blocks for a grid-stride loop over n elements: enough to fill the GPU, never more than
// the work needs.
// A kernel may use more than 48 KiB of dynamic shared memory only after asking for it.
// The grant is made once per kernel and size (remembered here), not at every launch.
inline void allow_dynamic_smem(const void* kernel, size_t bytes) {
  if (bytes <= 48 * 1024) return;
  static std::mutex mutex;
  static std::map<const void*, size_t> granted;
  const std::lock_guard<std::mutex> lock(mutex);
  size_t& g = granted[kernel];
  if (bytes <= g) return;
  CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
  g = bytes;
}

inline unsigned grid_for(size_t n, int threads) {
  const size_t blocks = (n + static_cast<size_t>(threads) - 1) / static_cast<size_t>(threads);
  return static_cast<unsigned>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

}  // namespace scalelab::cuda
