// defines: scalelab::Backend, scalelab::make_backend
//
// The one interface between the model (written once, backend/gpt.h) and the hardware
// (ggml's ggml_backend_i is the model). A backend owns memory and runs op kernels; it
// knows nothing of transformers beyond the ops below. CPU kernels live in backend/cpu/,
// one op family per file; CUDA kernels will live in backend/cuda/.
//
// Conventions for every op:
//   - Pointers are backend memory (host memory for the CPU backend), fp32, row-major.
//   - N = B*T rows; C = d_model; OC = output channels; NH = heads; V = vocab.
//   - Backward ops ACCUMULATE (+=) into every gradient they write (input and parameter
//     gradients alike): the residual stream's two branches and the tied embedding both
//     rely on it. The caller zeroes gradients once per optimizer step.
//   - Results depend only on inputs and the thread count (no atomics in reductions), so a
//     run is bit-reproducible for a given thread count.
//
//   auto be = make_backend("cpu", /*threads=*/2);
//   float* x = be->alloc(n);                     // zeroed
//   be->matmul_forward(out, x, w, b, N, C, OC);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace scalelab {

struct AdamWStep {
  float lr;            // this tensor's learning rate (schedule x muP multiplier)
  float beta1, beta2;  // moment decay rates
  float eps;
  float weight_decay;  // decoupled (Loshchilov and Hutter 2019); 0 for tensors not decayed
  int64_t t;           // 1-based step count, for bias correction
  float grad_scale;    // multiplies gradients first: global-norm clipping factor (<= 1)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual int threads() const = 0;

  // ---- memory -------------------------------------------------------------------
  virtual float* alloc(size_t n) = 0;  // n floats, zeroed
  virtual int32_t* alloc_i32(size_t n) = 0;
  virtual void free(void* p) = 0;
  virtual void zero(float* p, size_t n) = 0;
  virtual void upload(float* dst, const float* host, size_t n) = 0;
  virtual void download(float* host, const float* src, size_t n) = 0;
  virtual void upload_i32(int32_t* dst, const int32_t* host, size_t n) = 0;

  // ---- ops: forward and backward -------------------------------------------------
  // out (N,C) = wte[inp] + wpe[t]; inp (B,T) token ids.
  virtual void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B,
                               int T, int C) = 0;
  virtual void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T,
                                int C) = 0;

  // out (N,C) = (inp - mean) * rstd * w + b, eps = 1e-5; mean, rstd (N) saved for backward.
  virtual void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w,
                                 const float* b, int N, int C) = 0;
  virtual void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                                  const float* w, const float* mean, const float* rstd, int N, int C) = 0;

  // out (N,OC) = inp (N,C) @ w^T + bias; w (OC,C); bias (OC) or nullptr.
  virtual void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C,
                              int OC) = 0;
  // dinp (N,C) += dout @ w; dw (OC,C) += dout^T @ inp; dbias (OC) += column sums of dout
  // (skipped when nullptr). dinp may be nullptr when the input needs no gradient.
  virtual void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp,
                               const float* w, int N, int C, int OC) = 0;

  // Causal self-attention. qkv (B,T,3C) holds [q | k | v], head h at columns h*hs.
  // out (B,T,C) = softmax(scale * q k^T + causal mask) v per head. `state` is the
  // backend's saved state for backward, attention_state_floats(B,T,NH) floats (the CPU
  // backend keeps the probabilities (B,NH,T,T)).
  virtual size_t attention_state_floats(int B, int T, int NH) const = 0;
  virtual void attention_forward(float* out, float* state, const float* qkv, int B, int T, int C, int NH,
                                 float scale) = 0;
  virtual void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out,
                                  const float* state, int B, int T, int C, int NH, float scale) = 0;

  // GELU, tanh approximation (Hendrycks and Gimpel 2016), elementwise over n.
  virtual void gelu_forward(float* out, const float* inp, size_t n) = 0;
  virtual void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) = 0;

  // out = a + b, elementwise over n.
  virtual void residual_forward(float* out, const float* a, const float* b, size_t n) = 0;

  // Fused softmax cross-entropy over logits (N,V) scaled by logit_scale:
  //   p = softmax(logit_scale * logits); losses[i] = -log p[i, targets[i]].
  // When dloss != 0, logits is overwritten by d(sum_i dloss * losses[i]) / d logits =
  // dloss * logit_scale * (p - onehot) (probabilities are never stored). Targets < 0 are
  // ignored (loss 0, gradient 0).
  virtual void crossentropy_forward_backward(float* logits, float* losses, const int32_t* targets, int N,
                                             int V, float logit_scale, float dloss) = 0;

  // ---- optimizer ------------------------------------------------------------------
  // sum of squares of x[0..n), in double, deterministic order.
  virtual double sum_squares(const float* x, size_t n) = 0;
  // One AdamW update of n parameters (Loshchilov and Hutter 2019, algorithm 2):
  //   g = grad_scale * grad; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
  //   p -= lr * (m / (1-b1^t) / (sqrt(v / (1-b2^t)) + eps) + weight_decay * p)
  virtual void adamw_update(float* params, const float* grads, float* m, float* v, size_t n,
                            const AdamWStep& s) = 0;
};

// "cpu" (threads <= 0: all cores). Throws InputError naming train.device for unknown or
// unavailable devices.
std::unique_ptr<Backend> make_backend(const std::string& device, int threads);

}  // namespace scalelab
