// defines: the CUDA LayerNorm kernels, forward, fused residual + forward, and backward
//          (kernels.cuh)
//
// LayerNorm (Ba et al. 2016), eps = 1e-5 as in backend.h. One warp per row: a row of C
// values is read with lane-strided (coalesced) loads, and the mean and variance are
// warp sums in a fixed order. The backward's dw and db are column sums over all N rows,
// done in two deterministic passes (per-chunk partials, then their sum in chunk order).
#include "backend/cuda/kernels.cuh"

namespace scalelab::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;
constexpr float kEps = 1e-5f;

// Normalises the row x (C values, already in `x` or recomputed by `load`) into out.
template <class A, class Load>
__device__ void normalise_row(A* out, float* mean, float* rstd, int row, const float* w, const float* b, int C,
                              Load load) {
  const int lane = threadIdx.x % 32;
  float s = 0.0f;
  for (int c = lane; c < C; c += 32) s += load(c);
  const float mu = warp_sum(s) / C;
  float ss = 0.0f;
  for (int c = lane; c < C; c += 32) {
    const float d = load(c) - mu;
    ss += d * d;
  }
  const float rs = rsqrtf(warp_sum(ss) / C + kEps);
  A* o = out + size_t(row) * C;
  for (int c = lane; c < C; c += 32) o[c] = from_float<A>((load(c) - mu) * rs * w[c] + b[c]);
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = rs;
  }
}

template <class A>
__global__ void layernorm_forward_kernel(A* out, float* mean, float* rstd, const A* inp, const float* w,
                                         const float* b, int N, int C) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= N) return;
  const A* x = inp + size_t(row) * C;
  normalise_row(out, mean, rstd, row, w, b, C, [x](int c) { return to_float(x[c]); });
}

// residual = a + b is written once; the statistics then re-read it through the cache.
// The values normalised are the stored (rounded, in bf16 mode) residual, as in the unfused
// composition.
template <class A>
__global__ void residual_layernorm_forward_kernel(A* residual, A* out, float* mean, float* rstd, const A* a,
                                                  const A* b, const float* w, const float* bias, int N, int C) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= N) return;
  const int lane = threadIdx.x % 32;
  const size_t off = size_t(row) * C;
  for (int c = lane; c < C; c += 32) residual[off + c] = from_float<A>(to_float(a[off + c]) + to_float(b[off + c]));
  __syncwarp();
  const A* x = residual + off;
  normalise_row(out, mean, rstd, row, w, bias, C, [x](int c) { return to_float(x[c]); });
}

// dinp += rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * w, xhat the normalised
// input (the LayerNorm gradient; see e.g. Ba et al. 2016, or llm.c's layernorm_backward).
template <class A>
__global__ void layernorm_dinp_kernel(A* dinp, const A* dout, const A* inp, const float* w, const float* mean,
                                      const float* rstd, int N, int C) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= N) return;
  const int lane = threadIdx.x % 32;
  const size_t off = size_t(row) * C;
  const float mu = mean[row], rs = rstd[row];
  float sg = 0.0f, sgx = 0.0f;
  for (int c = lane; c < C; c += 32) {
    const float g = to_float(dout[off + c]) * w[c];
    sg += g;
    sgx += g * (to_float(inp[off + c]) - mu) * rs;
  }
  const float mg = warp_sum(sg) / C, mgx = warp_sum(sgx) / C;
  for (int c = lane; c < C; c += 32) {
    const float g = to_float(dout[off + c]) * w[c];
    const float xhat = (to_float(inp[off + c]) - mu) * rs;
    dinp[off + c] = from_float<A>(to_float(dinp[off + c]) + rs * (g - mg - xhat * mgx));
  }
}

// Pass 1 of dw, db: partial sums of dout * xhat and dout over a chunk of rows, one thread
// per column.
template <class A>
__global__ void layernorm_dwdb_partials_kernel(float* pw, float* pb, const A* dout, const A* inp, const float* mean,
                                               const float* rstd, int N, int C, int rows_per_chunk) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int r0 = blockIdx.y * rows_per_chunk, r1 = min(N, r0 + rows_per_chunk);
  float sw = 0.0f, sb = 0.0f;
  for (int r = r0; r < r1; ++r) {
    const float d = to_float(dout[size_t(r) * C + c]);
    sw += d * (to_float(inp[size_t(r) * C + c]) - mean[r]) * rstd[r];
    sb += d;
  }
  pw[size_t(blockIdx.y) * C + c] = sw;
  pb[size_t(blockIdx.y) * C + c] = sb;
}

__global__ void layernorm_dwdb_finish_kernel(float* dw, float* db, const float* pw, const float* pb, int chunks,
                                             int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float sw = 0.0f, sb = 0.0f;
  for (int k = 0; k < chunks; ++k) {
    sw += pw[size_t(k) * C + c];
    sb += pb[size_t(k) * C + c];
  }
  dw[c] += sw;
  db[c] += sb;
}

}  // namespace

template <class A>
void layernorm_forward(A* out, float* mean, float* rstd, const A* inp, const float* w, const float* b, int N, int C,
                       cudaStream_t stream) {
  layernorm_forward_kernel<<<ceil_div(N, kWarpsPerBlock), 32 * kWarpsPerBlock, 0, stream>>>(out, mean, rstd, inp, w,
                                                                                           b, N, C);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void residual_layernorm_forward(A* residual, A* out, float* mean, float* rstd, const A* a, const A* b,
                                const float* w, const float* bias, int N, int C, cudaStream_t stream) {
  residual_layernorm_forward_kernel<<<ceil_div(N, kWarpsPerBlock), 32 * kWarpsPerBlock, 0, stream>>>(
      residual, out, mean, rstd, a, b, w, bias, N, C);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void layernorm_backward(A* dinp, float* dw, float* db, const A* dout, const A* inp, const float* w,
                        const float* mean, const float* rstd, int N, int C, Scratch& scratch, cudaStream_t stream) {
  layernorm_dinp_kernel<<<ceil_div(N, kWarpsPerBlock), 32 * kWarpsPerBlock, 0, stream>>>(dinp, dout, inp, w, mean,
                                                                                        rstd, N, C);
  CUDA_CHECK(cudaGetLastError());
  const int rows_per_chunk = 64;
  const int chunks = static_cast<int>(ceil_div(N, rows_per_chunk));
  auto* pw = static_cast<float*>(scratch.get(Scratch::kColumnPartials, 2 * sizeof(float) * size_t(chunks) * C));
  float* pb = pw + size_t(chunks) * C;
  layernorm_dwdb_partials_kernel<<<dim3(ceil_div(C, 128), chunks), 128, 0, stream>>>(pw, pb, dout, inp, mean, rstd,
                                                                                     N, C, rows_per_chunk);
  CUDA_CHECK(cudaGetLastError());
  layernorm_dwdb_finish_kernel<<<ceil_div(C, 128), 128, 0, stream>>>(dw, db, pw, pb, chunks, C);
  CUDA_CHECK(cudaGetLastError());
}

#define SCALELAB_INSTANTIATE(A)                                                                                  \
  template void layernorm_forward<A>(A*, float*, float*, const A*, const float*, const float*, int, int,        \
                                     cudaStream_t);                                                              \
  template void residual_layernorm_forward<A>(A*, A*, float*, float*, const A*, const A*, const float*,         \
                                              const float*, int, int, cudaStream_t);                             \
  template void layernorm_backward<A>(A*, float*, float*, const A*, const A*, const float*, const float*,        \
                                      const float*, int, int, Scratch&, cudaStream_t);
SCALELAB_INSTANTIATE(float)
SCALELAB_INSTANTIATE(bf16)
#undef SCALELAB_INSTANTIATE

}  // namespace scalelab::cuda
