// defines: scalelab::CpuBackend
//
// The Backend (backend.h) on the host: memory is 64-byte aligned host memory, and each
// op runs the fp32 kernels of backend/cpu/ on `threads` OpenMP threads; matrix products
// go through OpenBLAS, run single-threaded inside those threads (see cpu/matmul.cpp).
// Saved attention state: the probabilities (B, NH, T, T).
//
//   CpuBackend be(/*threads=*/2);      // or make_backend("cpu", 2)
//   float* x = be.alloc(1024);
#pragma once

#include "backend/backend.h"

namespace scalelab {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads);  // threads <= 0: every core
  std::string name() const override { return "cpu"; }
  int threads() const override { return threads_; }

  float* alloc(size_t n) override;
  int32_t* alloc_i32(size_t n) override;
  void free(void* p) override;
  void zero(float* p, size_t n) override;
  void upload(float* dst, const float* host, size_t n) override;
  void download(float* host, const float* src, size_t n) override;
  void upload_i32(int32_t* dst, const int32_t* host, size_t n) override;

  void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T,
                       int C) override;
  void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T,
                        int C) override;
  void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b,
                         int N, int C) override;
  void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                          const float* mean, const float* rstd, int N, int C) override;
  void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C,
                      int OC) override;
  void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp, const float* w,
                       int N, int C, int OC) override;
  size_t attention_state_floats(int B, int T, int NH) const override;
  void attention_forward(float* out, float* state, const float* qkv, int B, int T, int C, int NH,
                         float scale) override;
  void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* state,
                          int B, int T, int C, int NH, float scale) override;
  void gelu_forward(float* out, const float* inp, size_t n) override;
  void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) override;
  void residual_forward(float* out, const float* a, const float* b, size_t n) override;
  void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                     float logit_scale, float dloss) override;
  double sum_squares(const float* x, size_t n) override;
  void adamw_update(float* params, const float* grads, float* m, float* v, size_t n, const AdamWStep& s) override;

 private:
  int threads_;
};

}  // namespace scalelab
