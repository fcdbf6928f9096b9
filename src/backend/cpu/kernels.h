// defines: scalelab::cpu:: the CPU kernels behind CpuBackend (one family per .cpp in this
//          folder), and the small helpers they share (work split, vector additions, BLAS
//          threading)
//
// Internal to backend/cpu/. Shapes and semantics are those of backend.h; every kernel
// takes the thread count `nt` and splits its work by a static rule that depends only on
// the sizes and nt, so results are bit-identical for a given nt and SIMD path. Reductions
// across threads go through per-thread partials combined in thread order (no atomics).
//
// SIMD: each kernel file holds its inner loops once, against Google Highway, compiled
// for every target of the build (foreach_target) and picked at run time
// (HWY_DYNAMIC_DISPATCH; simd_path.h pins one). The OpenMP regions stay in plain code
// outside the per-target functions: threads split the work, then each calls the
// dispatched loop on its part.
//
//   cpu::layernorm_forward(out, mean, rstd, x, w, b, N, C, /*nt=*/2);
#pragma once

#include <cstddef>
#include <cstdint>

namespace scalelab::cpu {

// ---- helpers ---------------------------------------------------------------------
// Part `i` of `parts` near-equal contiguous pieces of [0, n); boundaries are rounded to
// multiples of `align` (the last piece takes the rest).
struct Range {
  size_t begin, end;
};
inline Range split(size_t n, int parts, int i, size_t align = 1) {
  size_t per = (n + parts - 1) / parts;
  per = (per + align - 1) / align * align;
  size_t b = per * i, e = b + per;
  if (b > n) b = n;
  if (e > n || i == parts - 1) e = n;
  return {b, e};
}

// Sets OpenBLAS's own thread count (a process-wide setting; a no-op when unchanged).
// Kept at 1 while our OpenMP threads call sgemm (nested pools oversubscribe the cores);
// see matmul.cpp.
void blas_set_threads(int n);

// How matmul uses the cores (matmul.cpp); a process-wide switch for benchmarks.
enum class GemmPolicy { kSplitRows, kBlasThreads };
void set_gemm_policy(GemmPolicy p);
GemmPolicy gemm_policy();

// ---- vector_ops.cpp (single-threaded) ---------------------------------------------------
void add(float* out, const float* a, const float* b, size_t n);  // out = a + b
void add_into(float* dst, const float* src, size_t n);           // dst += src
// dst[0..len) += rows 0..rows-1 of src (stride ld), added in row order.
void add_rows_into(float* dst, const float* src, size_t ld, size_t rows, size_t len);

// ---- encoder.cpp ---------------------------------------------------------------------
void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T, int C,
                     int nt);
void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T, int C, int nt);

// ---- layernorm.cpp -------------------------------------------------------------------
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N,
                       int C, int nt);
void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                        const float* mean, const float* rstd, int N, int C, int nt);

// ---- matmul.cpp ----------------------------------------------------------------------
void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C, int OC, int nt);
void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp, const float* w,
                     int N, int C, int OC, int nt);

// ---- attention.cpp -------------------------------------------------------------------
// att (B,NH,T,T): the probabilities, zero above the diagonal.
void attention_forward(float* out, float* att, const float* qkv, int B, int T, int C, int NH, float scale, int nt);
// `out` must be attention_forward's output: row sums of P * dP are computed as dout . out.
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* att, int B,
                        int T, int C, int NH, float scale, int nt);

// ---- gelu.cpp ------------------------------------------------------------------------
void gelu_forward(float* out, const float* inp, size_t n, int nt);
void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n, int nt);

// ---- residual.cpp --------------------------------------------------------------------
void residual_forward(float* out, const float* a, const float* b, size_t n, int nt);

// ---- crossentropy.cpp ----------------------------------------------------------------
void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                   float logit_scale, float dloss, int nt);

// ---- adamw.cpp -----------------------------------------------------------------------
double sum_squares(const float* x, size_t n, int nt);
void adamw_update(float* params, const float* grads, float* m, float* v, size_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, int64_t t, float grad_scale, int nt);

}  // namespace scalelab::cpu
