// defines: scalelab::CpuBackend (memory and dispatch to the kernels of backend/cpu/)
#include "backend/cpu/cpu_backend.h"

#include <omp.h>

#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <new>

#include "backend/cpu/kernels.h"

namespace scalelab {

namespace {
void* aligned_zeroed(size_t bytes) {
  // 64-byte alignment (a cache line, one AVX-512 vector); aligned_alloc needs a multiple.
  const size_t rounded = (bytes + 63) / 64 * 64 + 64 * (bytes == 0);
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  return p;
}
}  // namespace

CpuBackend::CpuBackend(int threads) : threads_(threads > 0 ? threads : omp_get_num_procs()) {
  // Also the default for OpenMP regions outside the kernels (they pass num_threads).
  omp_set_num_threads(threads_);
  cpu::blas_set_threads(cpu::gemm_policy() == cpu::GemmPolicy::kBlasThreads ? threads_ : 1);
}

float* CpuBackend::alloc(size_t n) { return static_cast<float*>(aligned_zeroed(n * sizeof(float))); }
int32_t* CpuBackend::alloc_i32(size_t n) { return static_cast<int32_t*>(aligned_zeroed(n * sizeof(int32_t))); }
void CpuBackend::free(void* p) { std::free(p); }

void CpuBackend::zero(float* p, size_t n) {
  const int64_t chunks = static_cast<int64_t>((n + 16383) / 16384);
#pragma omp parallel for num_threads(threads_) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const size_t b = static_cast<size_t>(c) * 16384, e = std::min(n, b + 16384);
    std::memset(p + b, 0, (e - b) * sizeof(float));
  }
}
void CpuBackend::upload(float* dst, const float* host, size_t n) { std::memcpy(dst, host, n * sizeof(float)); }
void CpuBackend::download(float* host, const float* src, size_t n) { std::memcpy(host, src, n * sizeof(float)); }
void CpuBackend::upload_i32(int32_t* dst, const int32_t* host, size_t n) {
  std::memcpy(dst, host, n * sizeof(int32_t));
}

void CpuBackend::encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T,
                                 int C) {
  cpu::encoder_forward(out, inp, wte, wpe, B, T, C, threads_);
}
void CpuBackend::encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T,
                                  int C) {
  cpu::encoder_backward(dwte, dwpe, dout, inp, B, T, C, threads_);
}
void CpuBackend::layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w,
                                   const float* b, int N, int C) {
  cpu::layernorm_forward(out, mean, rstd, inp, w, b, N, C, threads_);
}
void CpuBackend::layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                                    const float* w, const float* mean, const float* rstd, int N, int C) {
  cpu::layernorm_backward(dinp, dw, db, dout, inp, w, mean, rstd, N, C, threads_);
}
void CpuBackend::matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C,
                                int OC) {
  cpu::matmul_forward(out, inp, w, bias, N, C, OC, threads_);
}
void CpuBackend::matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp,
                                 const float* w, int N, int C, int OC) {
  cpu::matmul_backward(dinp, dw, dbias, dout, inp, w, N, C, OC, threads_);
}
size_t CpuBackend::attention_state_floats(int B, int T, int NH) const {
  return static_cast<size_t>(B) * NH * T * T;
}
void CpuBackend::attention_forward(float* out, float* state, const float* qkv, int B, int T, int C, int NH,
                                   float scale) {
  cpu::attention_forward(out, state, qkv, B, T, C, NH, scale, threads_);
}
void CpuBackend::attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out,
                                    const float* state, int B, int T, int C, int NH, float scale) {
  cpu::attention_backward(dqkv, dout, qkv, out, state, B, T, C, NH, scale, threads_);
}
void CpuBackend::gelu_forward(float* out, const float* inp, size_t n) { cpu::gelu_forward(out, inp, n, threads_); }
void CpuBackend::gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) {
  cpu::gelu_backward(dinp, inp, dout, n, threads_);
}
void CpuBackend::residual_forward(float* out, const float* a, const float* b, size_t n) {
  cpu::residual_forward(out, a, b, n, threads_);
}
void CpuBackend::crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                               float logit_scale, float dloss) {
  cpu::crossentropy_forward_backward(logits, losses, targets, N, V, logit_scale, dloss, threads_);
}
double CpuBackend::sum_squares(const float* x, size_t n) { return cpu::sum_squares(x, n, threads_); }
void CpuBackend::adamw_update(float* params, const float* grads, float* m, float* v, size_t n, const AdamWStep& s) {
  cpu::adamw_update(params, grads, m, v, n, s.lr, s.beta1, s.beta2, s.eps, s.weight_decay, s.t, s.grad_scale,
                    threads_);
}

}  // namespace scalelab
