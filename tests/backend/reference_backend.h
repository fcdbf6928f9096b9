// defines: scalelab::ReferenceBackend (test helper)
//
// A Backend whose every op is the plain float reference op (backend/reference_ops.h),
// on host memory. The Gpt tests run the model on it as well as on the CPU backend, so a
// model-level failure can be told apart from a fast-kernel failure: if Gpt passes here
// and fails on "cpu", the kernels are at fault.
//
//   ReferenceBackend be;
//   Gpt gpt(cfg, be, /*max_batch=*/2);
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/backend.h"
#include "backend/reference_ops.h"

namespace scalelab {

class ReferenceBackend : public Backend {
 public:
  std::string name() const override { return "reference"; }
  int threads() const override { return 1; }

  float* alloc(size_t n) override { return static_cast<float*>(std::calloc(n ? n : 1, sizeof(float))); }
  int32_t* alloc_i32(size_t n) override { return static_cast<int32_t*>(std::calloc(n ? n : 1, sizeof(int32_t))); }
  void free(void* p) override { std::free(p); }
  void zero(float* p, size_t n) override { std::memset(p, 0, n * sizeof(float)); }
  void upload(float* dst, const float* host, size_t n) override { std::memcpy(dst, host, n * sizeof(float)); }
  void download(float* host, const float* src, size_t n) override { std::memcpy(host, src, n * sizeof(float)); }
  void upload_i32(int32_t* dst, const int32_t* host, size_t n) override {
    std::memcpy(dst, host, n * sizeof(int32_t));
  }

  void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T,
                       int C) override {
    ref::encoder_forward<float>(out, inp, wte, wpe, B, T, C);
  }
  void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T,
                        int C) override {
    ref::encoder_backward<float>(dwte, dwpe, dout, inp, B, T, C);
  }
  void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b,
                         int N, int C) override {
    ref::layernorm_forward<float>(out, mean, rstd, inp, w, b, N, C);
  }
  void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                          const float* mean, const float* rstd, int N, int C) override {
    ref::layernorm_backward<float>(dinp, dw, db, dout, inp, w, mean, rstd, N, C);
  }
  void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C,
                      int OC) override {
    ref::matmul_forward<float>(out, inp, w, bias, N, C, OC);
  }
  void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp, const float* w,
                       int N, int C, int OC) override {
    ref::matmul_backward<float>(dinp, dw, dbias, dout, inp, w, N, C, OC);
  }
  size_t attention_state_floats(int B, int T, int NH) const override {
    return static_cast<size_t>(B) * NH * T * T;
  }
  void attention_forward(float* out, float* state, const float* qkv, int B, int T, int C, int NH,
                         float scale) override {
    ref::attention_forward<float>(out, state, qkv, B, T, C, NH, scale);
  }
  void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* /*out*/,
                          const float* state, int B, int T, int C, int NH, float scale) override {
    ref::attention_backward<float>(dqkv, dout, qkv, state, B, T, C, NH, scale);
  }
  void gelu_forward(float* out, const float* inp, size_t n) override { ref::gelu_forward<float>(out, inp, n); }
  void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) override {
    ref::gelu_backward<float>(dinp, inp, dout, n);
  }
  void residual_forward(float* out, const float* a, const float* b, size_t n) override {
    ref::residual_forward<float>(out, a, b, n);
  }
  void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                     float logit_scale, float dloss) override {
    ref::crossentropy_forward_backward<float>(logits, losses, targets, N, V, logit_scale, dloss);
  }
  double sum_squares(const float* x, size_t n) override { return ref::sum_squares<float>(x, n); }
  void adamw_update(float* params, const float* grads, float* m, float* v, size_t n, const AdamWStep& s) override {
    ref::adamw_update<float>(params, grads, m, v, n, s.lr, s.beta1, s.beta2, s.eps, s.weight_decay, s.t,
                             s.grad_scale);
  }
};

}  // namespace scalelab
