// defines: scalelab::CudaBackend
//
// The Backend (backend.h) on one NVIDIA GPU. Memory is device memory (cudaMalloc); ops run
// in order on one CUDA stream; download() waits for them. Matrix products go through
// cuBLASLt (matmul.cuh); every other op is a kernel of this folder (kernels.cuh).
//
// Precision (backend.h):
//   fp32  every op in IEEE fp32 (cuBLASLt with CUBLAS_COMPUTE_32F): parity with the CPU.
//   tf32  as fp32, matrix products on TF32 tensor cores.
//   bf16  activations stored as bf16 (activation_bytes() == 2), matrix products on bf16 tensor cores with fp32 accumulation. Parameters,
//         their gradients and AdamW moments stay fp32; the products read a bf16 copy of
//         each weight buffer, made when a buffer is first used as a weight and kept current
//         by upload(), zero() and adamw_update().
// Saved attention state: the logsumexp of each score row, (B, NH, T) floats.
//
// This header is plain C++ (no CUDA types) so the rest of the build needs no CUDA.
//
//   CudaBackend be(Precision::bf16);   // or make_backend("cuda", 0, "bf16")
//   float* x = be.alloc(1024);
#pragma once

#include <memory>

#include "backend/backend.h"

namespace scalelab {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(Precision precision, int device = 0);
  ~CudaBackend() override;
  // CUDA devices visible to this process; 0 when there is no driver or GPU.
  static int device_count();

  std::string name() const override { return "cuda"; }
  int threads() const override { return 1; }
  Precision precision() const override;
  size_t activation_bytes() const override;
  std::string device_name() const;       // e.g. "NVIDIA H100 80GB HBM3"
  size_t peak_bytes() const;             // most device memory this backend held at once
  void synchronize();                    // waits for every queued op

  float* alloc(size_t n) override;
  int32_t* alloc_i32(size_t n) override;
  void free(void* p) override;
  void zero(float* p, size_t n) override;
  void upload(float* dst, const float* host, size_t n) override;
  void download(float* host, const float* src, size_t n) override;
  void upload_i32(int32_t* dst, const int32_t* host, size_t n) override;
  void upload_activations(float* dst, const float* host, size_t n) override;
  void zero_activations(float* p, size_t n) override;
  void download_activations(float* host, const float* src, size_t n) override;

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
  void residual_layernorm_forward(float* residual, float* out, float* mean, float* rstd, const float* a,
                                  const float* b, const float* w, const float* bias, int N, int C) override;
  void matmul_gelu_forward(float* out, float* pre, const float* inp, const float* w, const float* bias, int N,
                           int C, int OC) override;
  void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N, int V,
                                     float logit_scale, float dloss) override;
  double sum_squares(const float* x, size_t n) override;
  void adamw_update(float* params, const float* grads, float* m, float* v, size_t n, const AdamWStep& s) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scalelab
