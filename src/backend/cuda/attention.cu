// defines: the CUDA causal self-attention kernels, forward and backward (kernels.cuh)
//
// Flash-attention style (Dao et al. 2022, "FlashAttention"; Dao 2023, FlashAttention-2):
// the T x T score matrix is never stored. Tiles of 32 queries and 32 keys are staged in
// shared memory as fp32; each warp owns 4 rows and each lane one key (for a score) or a
// few head dimensions (for an output), so every dot product is one lane's loop over the
// head and every accumulation is in registers.
//   forward:  online softmax over key tiles (Milakov and Gimelshein 2018); saves each
//             row's logsumexp, lse = m + log(l), for the backward.
//   backward: D_i = dO_i . O_i per row, then two kernels that recompute P = exp(s - lse)
//             tile by tile: one per key tile (dK, dV) and one per query tile (dQ), so no
//             gradient is written by two blocks and no atomics are needed (deterministic).
// These run on the CUDA cores in fp32 arithmetic: the fp32/tf32 modes, and bf16 heads the
// tensor-core kernels (attention_tc.cu) do not take.
#include <cfloat>
#include <type_traits>

#include "backend/cuda/kernels.cuh"

namespace scalelab::cuda {

namespace {

constexpr int kTile = 32;             // queries and keys per tile
constexpr int kWarps = 8;             // per block
constexpr int kRowsPerWarp = kTile / kWarps;
constexpr int kDimsPerLane = kMaxHeadSize / 32;

// Copies rows [r0, r0 + kTile) of one head's slice (hs values at column `col` of rows of
// `stride` values) into shared memory rows of `ld` floats; rows at or past T become zeros.
template <class A>
__device__ void load_tile(float* dst, int ld, const A* src, size_t stride, int col, int r0, int T, int hs) {
  for (int idx = threadIdx.x; idx < kTile * hs; idx += blockDim.x) {
    const int r = idx / hs, d = idx % hs;
    dst[r * ld + d] = r0 + r < T ? to_float(src[size_t(r0 + r) * stride + col + d]) : 0.0f;
  }
}

// acc[k] += sum over the tile's rows jj of coef_jj * M[jj][lane + 32 k], where lane jj
// holds coef_jj: a lane's share of the head dimensions of coef^T M.
__device__ __forceinline__ void accumulate_rows(float (&acc)[kDimsPerLane], float coef, const float* M, int ld,
                                                int hs) {
  const int lane = threadIdx.x % 32;
  for (int jj = 0; jj < kTile; ++jj) {
    const float c = __shfl_sync(0xffffffffu, coef, jj);
#pragma unroll
    for (int k = 0; k < kDimsPerLane; ++k) {
      const int d = lane + 32 * k;
      if (d < hs) acc[k] += c * M[jj * ld + d];
    }
  }
}

template <class A>
__global__ void attention_forward_kernel(A* out, float* lse, const A* qkv, int T, int C, int NH, float scale) {
  extern __shared__ float smem[];
  const int hs = C / NH, ld = hs + 1;
  float* Qs = smem;               // (kTile, ld)
  float* Ks = Qs + kTile * ld;    // (kTile, ld): lane l reads row l, padded against bank conflicts
  float* Vs = Ks + kTile * ld;    // (kTile, hs): lanes read one row's consecutive dims
  const int qt = blockIdx.x, bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const size_t stride = 3 * size_t(C);
  const A* base = qkv + size_t(b) * T * stride;
  const int q0 = qt * kTile;
  load_tile(Qs, ld, base, stride, h * hs, q0, T, hs);

  float m[kRowsPerWarp], l[kRowsPerWarp], o[kRowsPerWarp][kDimsPerLane];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    m[i] = -FLT_MAX;
    l[i] = 0.0f;
#pragma unroll
    for (int k = 0; k < kDimsPerLane; ++k) o[i][k] = 0.0f;
  }

  for (int kt = 0; kt <= qt; ++kt) {  // causal: key tiles up to the diagonal one
    const int j0 = kt * kTile;
    __syncthreads();  // the previous tile is no longer read
    load_tile(Ks, ld, base, stride, C + h * hs, j0, T, hs);
    load_tile(Vs, hs, base, stride, 2 * C + h * hs, j0, T, hs);
    __syncthreads();
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = warp * kRowsPerWarp + i, row = q0 + r;
      if (row >= T) continue;
      const int j = j0 + lane;
      float s = 0.0f;
      for (int d = 0; d < hs; ++d) s += Qs[r * ld + d] * Ks[lane * ld + d];
      const bool valid = j <= row;
      s = valid ? s * scale : -FLT_MAX;
      const float m_new = fmaxf(m[i], warp_max(s));  // key j0 <= row is always valid: finite
      const float p = valid ? __expf(s - m_new) : 0.0f;
      const float corr = __expf(m[i] - m_new);
      l[i] = l[i] * corr + warp_sum(p);
      m[i] = m_new;
#pragma unroll
      for (int k = 0; k < kDimsPerLane; ++k) o[i][k] *= corr;
      accumulate_rows(o[i], p, Vs, hs, hs);
    }
  }
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int row = q0 + warp * kRowsPerWarp + i;
    if (row >= T) continue;
    A* dst = out + (size_t(b) * T + row) * C + h * hs;
    const float inv = 1.0f / l[i];
#pragma unroll
    for (int k = 0; k < kDimsPerLane; ++k) {
      const int d = lane + 32 * k;
      if (d < hs) dst[d] = from_float<A>(o[i][k] * inv);
    }
    if (lane == 0) lse[size_t(bh) * T + row] = m[i] + logf(l[i]);
  }
}

// D (B,NH,T) = rowwise dO . O; one warp per (b, t, h).
template <class A>
__global__ void attention_rowdot_kernel(float* D, const A* dout, const A* out, int B, int T, int C, int NH) {
  const size_t w = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (w >= size_t(B) * T * NH) return;
  const int h = static_cast<int>(w % NH);
  const size_t bt = w / NH;
  const int hs = C / NH;
  const A* a = dout + bt * C + h * hs;
  const A* o = out + bt * C + h * hs;
  float s = 0.0f;
  for (int d = lane; d < hs; d += 32) s += to_float(a[d]) * to_float(o[d]);
  s = warp_sum(s);
  const size_t b = bt / T, t = bt % T;
  if (lane == 0) D[(b * NH + h) * T + t] = s;
}

// dK and dV for one tile of keys, over every query tile at or after it.
template <class A>
__global__ void attention_dkdv_kernel(A* dqkv, const A* dout, const A* qkv, const float* lse, const float* D, int T,
                                      int C, int NH, float scale) {
  extern __shared__ float smem[];
  const int hs = C / NH, ld = hs + 1;
  float* Ks = smem;
  float* Vs = Ks + kTile * ld;
  float* Qs = Vs + kTile * ld;
  float* dOs = Qs + kTile * ld;
  float* lse_s = dOs + kTile * ld;
  float* D_s = lse_s + kTile;
  const int kt = blockIdx.x, bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const size_t stride = 3 * size_t(C);
  const A* base = qkv + size_t(b) * T * stride;
  const A* dbase = dout + size_t(b) * T * C;
  const int j0 = kt * kTile;
  load_tile(Ks, ld, base, stride, C + h * hs, j0, T, hs);
  load_tile(Vs, ld, base, stride, 2 * C + h * hs, j0, T, hs);

  float dk[kRowsPerWarp][kDimsPerLane], dv[kRowsPerWarp][kDimsPerLane];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i)
#pragma unroll
    for (int k = 0; k < kDimsPerLane; ++k) dk[i][k] = dv[i][k] = 0.0f;

  const int q_tiles = static_cast<int>(ceil_div(T, kTile));
  for (int qt = kt; qt < q_tiles; ++qt) {
    const int q0 = qt * kTile;
    __syncthreads();
    load_tile(Qs, ld, base, stride, h * hs, q0, T, hs);
    load_tile(dOs, ld, dbase, C, h * hs, q0, T, hs);
    if (threadIdx.x < kTile) {
      const int q = q0 + threadIdx.x;
      lse_s[threadIdx.x] = q < T ? lse[size_t(bh) * T + q] : 0.0f;
      D_s[threadIdx.x] = q < T ? D[size_t(bh) * T + q] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int kr = warp * kRowsPerWarp + i, j = j0 + kr;
      if (j >= T) continue;
      const int q = q0 + lane;  // this lane's query
      const bool valid = q < T && q >= j;
      float s = 0.0f, dp = 0.0f;
      for (int d = 0; d < hs; ++d) {
        s += Qs[lane * ld + d] * Ks[kr * ld + d];
        dp += dOs[lane * ld + d] * Vs[kr * ld + d];
      }
      const float p = valid ? __expf(s * scale - lse_s[lane]) : 0.0f;
      const float ds = p * (dp - D_s[lane]);
      accumulate_rows(dv[i], p, dOs, ld, hs);
      accumulate_rows(dk[i], ds, Qs, ld, hs);
    }
  }
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int j = j0 + warp * kRowsPerWarp + i;
    if (j >= T) continue;
    A* row = dqkv + (size_t(b) * T + j) * stride;
#pragma unroll
    for (int k = 0; k < kDimsPerLane; ++k) {
      const int d = lane + 32 * k;
      if (d < hs) {
        A* dkp = row + C + h * hs + d;
        A* dvp = row + 2 * C + h * hs + d;
        *dkp = from_float<A>(to_float(*dkp) + scale * dk[i][k]);
        *dvp = from_float<A>(to_float(*dvp) + dv[i][k]);
      }
    }
  }
}

// dQ for one tile of queries, over every key tile up to the diagonal.
template <class A>
__global__ void attention_dq_kernel(A* dqkv, const A* dout, const A* qkv, const float* lse, const float* D, int T,
                                    int C, int NH, float scale) {
  extern __shared__ float smem[];
  const int hs = C / NH, ld = hs + 1;
  float* Qs = smem;
  float* dOs = Qs + kTile * ld;
  float* Ks = dOs + kTile * ld;
  float* Vs = Ks + kTile * ld;
  const int qt = blockIdx.x, bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const size_t stride = 3 * size_t(C);
  const A* base = qkv + size_t(b) * T * stride;
  const int q0 = qt * kTile;
  load_tile(Qs, ld, base, stride, h * hs, q0, T, hs);
  load_tile(dOs, ld, dout + size_t(b) * T * C, C, h * hs, q0, T, hs);

  float dq[kRowsPerWarp][kDimsPerLane], row_lse[kRowsPerWarp], row_D[kRowsPerWarp];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int q = q0 + warp * kRowsPerWarp + i;
    row_lse[i] = q < T ? lse[size_t(bh) * T + q] : 0.0f;
    row_D[i] = q < T ? D[size_t(bh) * T + q] : 0.0f;
#pragma unroll
    for (int k = 0; k < kDimsPerLane; ++k) dq[i][k] = 0.0f;
  }
  for (int kt = 0; kt <= qt; ++kt) {
    const int j0 = kt * kTile;
    __syncthreads();
    load_tile(Ks, ld, base, stride, C + h * hs, j0, T, hs);
    load_tile(Vs, ld, base, stride, 2 * C + h * hs, j0, T, hs);
    __syncthreads();
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = warp * kRowsPerWarp + i, q = q0 + r;
      if (q >= T) continue;
      const int j = j0 + lane;  // this lane's key
      const bool valid = j <= q;
      float s = 0.0f, dp = 0.0f;
      for (int d = 0; d < hs; ++d) {
        s += Qs[r * ld + d] * Ks[lane * ld + d];
        dp += dOs[r * ld + d] * Vs[lane * ld + d];
      }
      const float p = valid ? __expf(s * scale - row_lse[i]) : 0.0f;
      const float ds = p * (dp - row_D[i]);
      accumulate_rows(dq[i], ds, Ks, ld, hs);
    }
  }
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int q = q0 + warp * kRowsPerWarp + i;
    if (q >= T) continue;
    A* dst = dqkv + (size_t(b) * T + q) * stride + h * hs;
#pragma unroll
    for (int k = 0; k < kDimsPerLane; ++k) {
      const int d = lane + 32 * k;
      if (d < hs) dst[d] = from_float<A>(to_float(dst[d]) + scale * dq[i][k]);
    }
  }
}

void check_head(int C, int NH) {
  SL_REQUIRE(NH > 0 && C % NH == 0 && C / NH <= kMaxHeadSize,
             "model.n_head: the CUDA attention needs d_model / n_head <= {}, got {} / {}", kMaxHeadSize, C, NH);
}

}  // namespace

template <class A>
void attention_forward(A* out, float* lse, const A* qkv, int B, int T, int C, int NH, float scale,
                       cudaStream_t stream) {
  check_head(C, NH);
  if constexpr (std::is_same_v<A, bf16>)
    if (attention_tc_supported(C, NH)) return attention_forward_tc(out, lse, qkv, B, T, C, NH, scale, stream);
  const int hs = C / NH;
  const size_t smem = sizeof(float) * (2 * kTile * (hs + 1) + kTile * hs);
  allow_dynamic_smem(reinterpret_cast<const void*>(attention_forward_kernel<A>), smem);
  const dim3 grid(ceil_div(T, kTile), B * NH);
  attention_forward_kernel<A><<<grid, 32 * kWarps, smem, stream>>>(out, lse, qkv, T, C, NH, scale);
  CUDA_CHECK(cudaGetLastError());
}

template <class A>
void attention_backward(A* dqkv, const A* dout, const A* qkv, const A* out, const float* lse, int B, int T, int C,
                        int NH, float scale, Scratch& scratch, cudaStream_t stream) {
  check_head(C, NH);
  const int hs = C / NH;
  auto* D = static_cast<float*>(scratch.get(Scratch::kAttentionRows, sizeof(float) * size_t(B) * NH * T));
  const size_t rows = size_t(B) * T * NH;
  attention_rowdot_kernel<A><<<ceil_div(rows * 32, 256), 256, 0, stream>>>(D, dout, out, B, T, C, NH);
  CUDA_CHECK(cudaGetLastError());
  if constexpr (std::is_same_v<A, bf16>)
    if (attention_tc_supported(C, NH))
      return attention_backward_tc(dqkv, dout, qkv, lse, D, B, T, C, NH, scale, stream);
  const dim3 grid(ceil_div(T, kTile), B * NH);
  const size_t smem_kv = sizeof(float) * (4 * kTile * (hs + 1) + 2 * kTile);
  allow_dynamic_smem(reinterpret_cast<const void*>(attention_dkdv_kernel<A>), smem_kv);
  attention_dkdv_kernel<A><<<grid, 32 * kWarps, smem_kv, stream>>>(dqkv, dout, qkv, lse, D, T, C, NH, scale);
  CUDA_CHECK(cudaGetLastError());
  const size_t smem_q = sizeof(float) * 4 * kTile * (hs + 1);
  allow_dynamic_smem(reinterpret_cast<const void*>(attention_dq_kernel<A>), smem_q);
  attention_dq_kernel<A><<<grid, 32 * kWarps, smem_q, stream>>>(dqkv, dout, qkv, lse, D, T, C, NH, scale);
  CUDA_CHECK(cudaGetLastError());
}

#define SCALELAB_INSTANTIATE(A)                                                                                 \
  template void attention_forward<A>(A*, float*, const A*, int, int, int, int, float, cudaStream_t);          \
  template void attention_backward<A>(A*, const A*, const A*, const A*, const float*, int, int, int, int, float, \
                                      Scratch&, cudaStream_t);
SCALELAB_INSTANTIATE(float)
SCALELAB_INSTANTIATE(bf16)
#undef SCALELAB_INSTANTIATE

}  // namespace scalelab::cuda
