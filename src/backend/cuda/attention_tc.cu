// defines: the tensor-core causal attention kernels for bf16 activations (kernels.cuh
//          attention_forward_tc, attention_backward_tc)
//
// The same algorithm as attention.cu (Dao et al. 2022; Dao 2023: online softmax over key
// tiles, logsumexp saved, scores recomputed in the backward, dK/dV and dQ in separate
// kernels so nothing needs atomics), with every matrix product on the bf16 tensor cores
// through WMMA 16x16x16 fragments with fp32 accumulation. Tiles are 64 queries x 64 keys;
// each of a block's 4 warps owns 16 rows of its tile. Operands are staged in shared memory
// as bf16; scores, softmax statistics and accumulators stay fp32 (in shared memory, where
// the per-row rescaling can reach them). P and dS are rounded to bf16 before their
// products, as FlashAttention does. Head size: a multiple of 16, at most kMaxHeadSizeTc
// (the dK/dV kernel's shared memory at head size 64 is 112 KiB, within the A100's 163).
#include <mma.h>

#include <cfloat>

#include "backend/cuda/kernels.cuh"

namespace scalelab::cuda {

namespace {

namespace wmma = nvcuda::wmma;

constexpr int kTile = 64;       // queries and keys per tile
constexpr int kWarps = 4;       // per block; warp w owns rows [16 w, 16 w + 16) of a tile
constexpr int kRows = 16;       // rows per warp (one WMMA fragment high)

using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major>;
using FragBt = wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major>;
using FragB = wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major>;
using FragC = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;

// C (16 x n, ldc floats) = A (16 x k, row-major bf16) times B^T, where B is n x k row-major
// (so B^T is read column-major). n and k are multiples of 16. One warp.
__device__ void warp_mm_abt(float* C, int ldc, const bf16* A, int lda, const bf16* B, int ldb, int n, int k) {
  for (int j = 0; j < n; j += 16) {
    FragC c;
    wmma::fill_fragment(c, 0.0f);
    for (int kk = 0; kk < k; kk += 16) {
      FragA a;
      FragBt b;
      wmma::load_matrix_sync(a, A + kk, lda);
      wmma::load_matrix_sync(b, B + size_t(j) * ldb + kk, ldb);
      wmma::mma_sync(c, a, b, c);
    }
    wmma::store_matrix_sync(C + j, c, ldc, wmma::mem_row_major);
  }
}

// C (16 x n, ldc floats) += A (16 x k, row-major bf16) times B (k x n, row-major bf16).
__device__ void warp_mm_ab_acc(float* C, int ldc, const bf16* A, int lda, const bf16* B, int ldb, int n, int k) {
  for (int j = 0; j < n; j += 16) {
    FragC c;
    wmma::load_matrix_sync(c, C + j, ldc, wmma::mem_row_major);
    for (int kk = 0; kk < k; kk += 16) {
      FragA a;
      FragB b;
      wmma::load_matrix_sync(a, A + kk, lda);
      wmma::load_matrix_sync(b, B + size_t(kk) * ldb + j, ldb);
      wmma::mma_sync(c, a, b, c);
    }
    wmma::store_matrix_sync(C + j, c, ldc, wmma::mem_row_major);
  }
}

// Rows [r0, r0 + kTile) of one head's slice (hs values at column `col` of rows of `stride`
// values) into a (kTile, hs) bf16 tile; rows at or past T become zeros.
template <class A>
__device__ void load_tile_bf16(bf16* dst, const A* src, size_t stride, int col, int r0, int T, int hs) {
  for (int idx = threadIdx.x; idx < kTile * hs; idx += blockDim.x) {
    const int r = idx / hs, d = idx % hs;
    dst[idx] = r0 + r < T ? __float2bfloat16_rn(to_float(src[size_t(r0 + r) * stride + col + d])) : __float2bfloat16_rn(0.0f);
  }
}

// Shared memory carve-up, in bytes, each part 128-byte aligned (WMMA wants 32).
struct SmemCarver {
  char* base;
  size_t used = 0;
  template <class T>
  __device__ T* take(size_t n) {
    T* p = reinterpret_cast<T*>(base + used);
    used += (n * sizeof(T) + 127) / 128 * 128;
    return p;
  }
};

size_t round128(size_t bytes) { return (bytes + 127) / 128 * 128; }

__global__ void attention_forward_tc_kernel(bf16* out, float* lse, const bf16* qkv, int T, int C, int NH,
                                            float scale) {
  extern __shared__ __align__(128) char smem_raw[];
  const int hs = C / NH;
  const int qt = blockIdx.x, bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  SmemCarver sm{smem_raw};
  bf16* Qs = sm.take<bf16>(kTile * hs);
  bf16* Ks = sm.take<bf16>(kTile * hs);
  bf16* Vs = sm.take<bf16>(kTile * hs);
  float* S = sm.take<float>(kWarps * kRows * kTile) + warp * kRows * kTile;   // this warp's scores
  bf16* P = sm.take<bf16>(kWarps * kRows * kTile) + warp * kRows * kTile;     // its probabilities
  float* O = sm.take<float>(kWarps * kRows * hs) + warp * kRows * hs;         // its output rows
  float* corr = sm.take<float>(kWarps * kRows) + warp * kRows;
  const size_t stride = 3 * size_t(C);
  const bf16* base = qkv + size_t(b) * T * stride;
  const int q0 = qt * kTile;
  load_tile_bf16(Qs, base, stride, h * hs, q0, T, hs);
  for (int i = lane; i < kRows * hs; i += 32) O[i] = 0.0f;
  // Lanes 2r and 2r+1 share row r of the warp's 16: each takes half of the 64 keys.
  const int r = lane / 2, half = lane % 2;
  const int row = q0 + warp * kRows + r;
  float m = -FLT_MAX, l = 0.0f;

  for (int kt = 0; kt <= qt; ++kt) {
    const int j0 = kt * kTile;
    __syncthreads();  // the previous K, V tile is no longer read
    load_tile_bf16(Ks, base, stride, C + h * hs, j0, T, hs);
    load_tile_bf16(Vs, base, stride, 2 * C + h * hs, j0, T, hs);
    __syncthreads();
    warp_mm_abt(S, kTile, Qs + warp * kRows * hs, hs, Ks, hs, kTile, hs);
    __syncwarp();
    float mx = -FLT_MAX;
    for (int c = half * 32; c < half * 32 + 32; ++c) {
      const bool valid = j0 + c <= row;
      const float s = valid ? S[r * kTile + c] * scale : -FLT_MAX;
      S[r * kTile + c] = s;
      mx = fmaxf(mx, s);
    }
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    const float m_new = fmaxf(m, mx);  // -FLT_MAX only for a padding row past T
    float sum = 0.0f;
    for (int c = half * 32; c < half * 32 + 32; ++c) {
      const float s = S[r * kTile + c];
      const float p = s > -FLT_MAX ? __expf(s - m_new) : 0.0f;
      const bf16 pb = __float2bfloat16_rn(p);
      P[r * kTile + c] = pb;
      sum += __bfloat162float(pb);  // the normaliser of the values actually multiplied
    }
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    const float cr = __expf(m - m_new);
    l = l * cr + sum;
    m = m_new;
    if (half == 0) corr[r] = cr;
    __syncwarp();
    for (int i = lane; i < kRows * hs; i += 32) O[i] *= corr[i / hs];
    __syncwarp();
    warp_mm_ab_acc(O, hs, P, kTile, Vs, hs, hs, kTile);
    __syncwarp();
  }
  if (row < T) {
    bf16* dst = out + (size_t(b) * T + row) * C + h * hs;
    const float inv = 1.0f / l;
    for (int d = half; d < hs; d += 2) dst[d] = __float2bfloat16_rn(O[r * hs + d] * inv);
    if (half == 0) lse[size_t(bh) * T + row] = m + logf(l);
  }
}

// dK, dV for one tile of 64 keys (warp w: keys 16 w ..), over every query tile at or
// after it. Transposed scores: S^T = K Q^T, dP^T = V dO^T, then dV += P^T dO, dK += dS^T Q.
__global__ void attention_dkdv_tc_kernel(bf16* dqkv, const bf16* dout, const bf16* qkv, const float* lse,
                                         const float* D, int T, int C, int NH, float scale) {
  extern __shared__ __align__(128) char smem_raw[];
  const int hs = C / NH;
  const int kt = blockIdx.x, bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  SmemCarver sm{smem_raw};
  bf16* Ks = sm.take<bf16>(kTile * hs);
  bf16* Vs = sm.take<bf16>(kTile * hs);
  bf16* Qs = sm.take<bf16>(kTile * hs);
  bf16* dOs = sm.take<bf16>(kTile * hs);
  float* lse_s = sm.take<float>(kTile);
  float* D_s = sm.take<float>(kTile);
  float* St = sm.take<float>(kWarps * kRows * kTile) + warp * kRows * kTile;
  float* dPt = sm.take<float>(kWarps * kRows * kTile) + warp * kRows * kTile;
  bf16* Pt = sm.take<bf16>(kWarps * kRows * kTile) + warp * kRows * kTile;
  bf16* dSt = sm.take<bf16>(kWarps * kRows * kTile) + warp * kRows * kTile;
  float* dK = sm.take<float>(kWarps * kRows * hs) + warp * kRows * hs;
  float* dV = sm.take<float>(kWarps * kRows * hs) + warp * kRows * hs;
  const size_t stride = 3 * size_t(C);
  const bf16* base = qkv + size_t(b) * T * stride;
  const bf16* dbase = dout + size_t(b) * T * C;
  const int j0 = kt * kTile;
  load_tile_bf16(Ks, base, stride, C + h * hs, j0, T, hs);
  load_tile_bf16(Vs, base, stride, 2 * C + h * hs, j0, T, hs);
  for (int i = lane; i < kRows * hs; i += 32) dK[i] = dV[i] = 0.0f;

  const int q_tiles = static_cast<int>(ceil_div(T, kTile));
  for (int qt = kt; qt < q_tiles; ++qt) {
    const int q0 = qt * kTile;
    __syncthreads();
    load_tile_bf16(Qs, base, stride, h * hs, q0, T, hs);
    load_tile_bf16(dOs, dbase, C, h * hs, q0, T, hs);
    for (int i = threadIdx.x; i < kTile; i += blockDim.x) {
      lse_s[i] = q0 + i < T ? lse[size_t(bh) * T + q0 + i] : 0.0f;
      D_s[i] = q0 + i < T ? D[size_t(bh) * T + q0 + i] : 0.0f;
    }
    __syncthreads();
    warp_mm_abt(St, kTile, Ks + warp * kRows * hs, hs, Qs, hs, kTile, hs);
    warp_mm_abt(dPt, kTile, Vs + warp * kRows * hs, hs, dOs, hs, kTile, hs);
    __syncwarp();
    for (int i = lane; i < kRows * kTile; i += 32) {
      const int kr = i / kTile, c = i % kTile;  // key j0 + 16 warp + kr, query q0 + c
      const int j = j0 + warp * kRows + kr, q = q0 + c;
      const bool valid = q < T && j < T && q >= j;
      const float p = valid ? __expf(St[i] * scale - lse_s[c]) : 0.0f;
      Pt[i] = __float2bfloat16_rn(p);
      dSt[i] = __float2bfloat16_rn(p * (dPt[i] - D_s[c]));
    }
    __syncwarp();
    warp_mm_ab_acc(dV, hs, Pt, kTile, dOs, hs, hs, kTile);
    warp_mm_ab_acc(dK, hs, dSt, kTile, Qs, hs, hs, kTile);
    __syncwarp();
  }
  for (int i = lane; i < kRows * hs; i += 32) {
    const int kr = i / hs, d = i % hs, j = j0 + warp * kRows + kr;
    if (j >= T) continue;
    bf16* row = dqkv + (size_t(b) * T + j) * stride;
    bf16* dkp = row + C + h * hs + d;
    bf16* dvp = row + 2 * C + h * hs + d;
    *dkp = __float2bfloat16_rn(__bfloat162float(*dkp) + scale * dK[i]);
    *dvp = __float2bfloat16_rn(__bfloat162float(*dvp) + dV[i]);
  }
}

// dQ for one tile of 64 queries (warp w: queries 16 w ..), over the key tiles up to the
// diagonal: S = Q K^T, dP = dO V^T, dQ += dS K.
__global__ void attention_dq_tc_kernel(bf16* dqkv, const bf16* dout, const bf16* qkv, const float* lse,
                                       const float* D, int T, int C, int NH, float scale) {
  extern __shared__ __align__(128) char smem_raw[];
  const int hs = C / NH;
  const int qt = blockIdx.x, bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  SmemCarver sm{smem_raw};
  bf16* Qs = sm.take<bf16>(kTile * hs);
  bf16* dOs = sm.take<bf16>(kTile * hs);
  bf16* Ks = sm.take<bf16>(kTile * hs);
  bf16* Vs = sm.take<bf16>(kTile * hs);
  float* S = sm.take<float>(kWarps * kRows * kTile) + warp * kRows * kTile;
  float* dP = sm.take<float>(kWarps * kRows * kTile) + warp * kRows * kTile;
  bf16* dS = sm.take<bf16>(kWarps * kRows * kTile) + warp * kRows * kTile;
  float* dQ = sm.take<float>(kWarps * kRows * hs) + warp * kRows * hs;
  float* row_lse = sm.take<float>(kTile);
  float* row_D = sm.take<float>(kTile);
  const size_t stride = 3 * size_t(C);
  const bf16* base = qkv + size_t(b) * T * stride;
  const int q0 = qt * kTile;
  load_tile_bf16(Qs, base, stride, h * hs, q0, T, hs);
  load_tile_bf16(dOs, dout + size_t(b) * T * C, C, h * hs, q0, T, hs);
  for (int i = threadIdx.x; i < kTile; i += blockDim.x) {
    row_lse[i] = q0 + i < T ? lse[size_t(bh) * T + q0 + i] : 0.0f;
    row_D[i] = q0 + i < T ? D[size_t(bh) * T + q0 + i] : 0.0f;
  }
  for (int i = lane; i < kRows * hs; i += 32) dQ[i] = 0.0f;
  for (int kt = 0; kt <= qt; ++kt) {
    const int j0 = kt * kTile;
    __syncthreads();
    load_tile_bf16(Ks, base, stride, C + h * hs, j0, T, hs);
    load_tile_bf16(Vs, base, stride, 2 * C + h * hs, j0, T, hs);
    __syncthreads();
    warp_mm_abt(S, kTile, Qs + warp * kRows * hs, hs, Ks, hs, kTile, hs);
    warp_mm_abt(dP, kTile, dOs + warp * kRows * hs, hs, Vs, hs, kTile, hs);
    __syncwarp();
    for (int i = lane; i < kRows * kTile; i += 32) {
      const int rr = warp * kRows + i / kTile, c = i % kTile;  // query q0 + rr, key j0 + c
      const int q = q0 + rr, j = j0 + c;
      const bool valid = q < T && j <= q;
      const float p = valid ? __expf(S[i] * scale - row_lse[rr]) : 0.0f;
      dS[i] = __float2bfloat16_rn(p * (dP[i] - row_D[rr]));
    }
    __syncwarp();
    warp_mm_ab_acc(dQ, hs, dS, kTile, Ks, hs, hs, kTile);
    __syncwarp();
  }
  for (int i = lane; i < kRows * hs; i += 32) {
    const int q = q0 + warp * kRows + i / hs, d = i % hs;
    if (q >= T) continue;
    bf16* dst = dqkv + (size_t(b) * T + q) * stride + h * hs + d;
    *dst = __float2bfloat16_rn(__bfloat162float(*dst) + scale * dQ[i]);
  }
}

}  // namespace

bool attention_tc_supported(int C, int NH) {
  const int hs = C / NH;
  return hs % 16 == 0 && hs <= kMaxHeadSizeTc;
}

void attention_forward_tc(bf16* out, float* lse, const bf16* qkv, int B, int T, int C, int NH, float scale,
                          cudaStream_t stream) {
  const size_t hs = size_t(C / NH);
  const size_t smem = 3 * round128(kTile * hs * sizeof(bf16)) + round128(kWarps * kRows * kTile * sizeof(float)) +
                      round128(kWarps * kRows * kTile * sizeof(bf16)) + round128(kWarps * kRows * hs * sizeof(float)) +
                      round128(kWarps * kRows * sizeof(float));
  allow_dynamic_smem(reinterpret_cast<const void*>(attention_forward_tc_kernel), smem);
  attention_forward_tc_kernel<<<dim3(ceil_div(T, kTile), B * NH), 32 * kWarps, smem, stream>>>(out, lse, qkv, T, C,
                                                                                              NH, scale);
  CUDA_CHECK(cudaGetLastError());
}

void attention_backward_tc(bf16* dqkv, const bf16* dout, const bf16* qkv, const float* lse, const float* D, int B,
                           int T, int C, int NH, float scale, cudaStream_t stream) {
  const size_t hs = size_t(C / NH);
  const size_t tile = round128(kTile * hs * sizeof(bf16)), rows = round128(kTile * sizeof(float));
  const size_t s32 = round128(kWarps * kRows * kTile * sizeof(float)), s16 = round128(kWarps * kRows * kTile * 2);
  const size_t acc = round128(kWarps * kRows * hs * sizeof(float));
  const dim3 grid(ceil_div(T, kTile), B * NH);
  const size_t smem_kv = 4 * tile + 2 * rows + 2 * s32 + 2 * s16 + 2 * acc;
  allow_dynamic_smem(reinterpret_cast<const void*>(attention_dkdv_tc_kernel), smem_kv);
  attention_dkdv_tc_kernel<<<grid, 32 * kWarps, smem_kv, stream>>>(dqkv, dout, qkv, lse, D, T, C, NH, scale);
  CUDA_CHECK(cudaGetLastError());
  const size_t smem_q = 4 * tile + 2 * s32 + s16 + acc + 2 * rows;
  allow_dynamic_smem(reinterpret_cast<const void*>(attention_dq_tc_kernel), smem_q);
  attention_dq_tc_kernel<<<grid, 32 * kWarps, smem_q, stream>>>(dqkv, dout, qkv, lse, D, T, C, NH, scale);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace scalelab::cuda
