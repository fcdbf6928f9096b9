// defines: cpu::matmul_forward, cpu::matmul_backward, cpu::blas_set_threads,
//          cpu::set_gemm_policy
//
// Fully connected layers through OpenBLAS's cblas_sgemm. Two ways to use the cores:
//   kSplitRows (default): our OpenMP threads each call a single-threaded sgemm on
//     their slice of the output (rows of out and dinp, rows of dw). One thread pool
//     only: on a small machine OpenBLAS's spinning pthread pool and OpenMP's would
//     otherwise compete for the same cores between ops.
//   kBlasThreads: one sgemm call threaded by OpenBLAS itself (kept for comparison in
//     bench/ops_cpu.cpp).
// Either way each output element is one dot product computed by one thread in an order
// fixed by the sizes and the thread count, so results are reproducible.
// The bias is broadcast into the output first and sgemm adds to it (beta = 1), which
// costs no extra pass over memory compared with adding it afterwards.
#include <cblas.h>
#include <omp.h>

#include <algorithm>

#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

namespace {
GemmPolicy g_policy = GemmPolicy::kSplitRows;

// Column sums of dout (N,OC) added to dbias, for columns [o0, o1): rows in order, as the
// reference does, so the sum order does not depend on the thread count.
void bias_grad_columns(float* dbias, const float* dout, int N, int OC, size_t o0, size_t o1) {
  if (o0 < o1) add_rows_into(dbias + o0, dout + o0, OC, N, o1 - o0);
}
}  // namespace

void blas_set_threads(int n) {
  if (openblas_get_num_threads() != n) openblas_set_num_threads(n);
}

void set_gemm_policy(GemmPolicy p) { g_policy = p; }
GemmPolicy gemm_policy() { return g_policy; }

void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C, int OC, int nt) {
  const float beta = bias ? 1.0f : 0.0f;
  if (g_policy == GemmPolicy::kBlasThreads) {
    if (bias) {
#pragma omp parallel for num_threads(nt) schedule(static)
      for (int i = 0; i < N; ++i) std::copy(bias, bias + OC, out + static_cast<size_t>(i) * OC);
    }
    blas_set_threads(nt);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, w, C, beta, out, OC);
    return;
  }
  blas_set_threads(1);
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(N, omp_get_num_threads(), omp_get_thread_num(), 16);
    const int rows = static_cast<int>(r.end - r.begin);
    if (rows > 0) {
      float* o = out + r.begin * OC;
      if (bias)
        for (int i = 0; i < rows; ++i) std::copy(bias, bias + OC, o + static_cast<size_t>(i) * OC);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, OC, C, 1.0f, inp + r.begin * C, C, w, C, beta, o,
                  OC);
    }
  }
}

// dinp (N,C) += dout (N,OC) w (OC,C); dw (OC,C) += dout^T inp (N,C); dbias += sum_i dout.
void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp, const float* w,
                     int N, int C, int OC, int nt) {
  if (g_policy == GemmPolicy::kBlasThreads) {
    blas_set_threads(nt);
    if (dinp) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC, w, C, 1.0f, dinp, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dw, C);
    if (dbias) {
#pragma omp parallel num_threads(nt)
      {
        const Range r = split(OC, omp_get_num_threads(), omp_get_thread_num(), 16);
        bias_grad_columns(dbias, dout, N, OC, r.begin, r.end);
      }
    }
    return;
  }
  blas_set_threads(1);
#pragma omp parallel num_threads(nt)
  {
    const int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    if (dinp) {
      const Range r = split(N, nth, tid, 16);
      const int rows = static_cast<int>(r.end - r.begin);
      if (rows > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, C, OC, 1.0f, dout + r.begin * OC, OC, w, C,
                    1.0f, dinp + r.begin * C, C);
    }
    const Range o = split(OC, nth, tid, 16);
    const int ocs = static_cast<int>(o.end - o.begin);
    if (ocs > 0)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ocs, C, N, 1.0f, dout + o.begin, OC, inp, C, 1.0f,
                  dw + o.begin * C, C);
    if (dbias) bias_grad_columns(dbias, dout, N, OC, o.begin, o.end);
  }
}

}  // namespace scalelab::cpu
