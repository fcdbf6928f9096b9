// defines: scalelab::Backend, scalelab::make_backend
//
// The one interface between the model (written once, backend/gpt.h) and the hardware
// (ggml's ggml_backend_i is the model). A backend owns memory and runs op kernels; it
// knows nothing of transformers beyond the ops below. CPU kernels live in backend/cpu/,
// one op family per file; CUDA kernels live in backend/cuda/ (built with SCALELAB_CUDA).
//
// Conventions for every op:
//   - Pointers are backend memory (host memory for the CPU backend), row-major, sized in
//     floats. Parameters, their gradients, AdamW moments, LayerNorm statistics, the
//     attention state and per-position losses are always fp32. "Activation" buffers (the
//     model's activations and their gradients, marked act below) hold the backend's
//     activation type: fp32, except the CUDA backend in bf16 mode, which stores bf16.
//     Pointers stay float* (one interface); a buffer of n activations needs
//     n * activation_bytes() bytes (a float* allocation of n floats always suffices).
//     Move them with upload_activations / download_activations / zero_activations.
//   - N = B*T rows; C = d_model; OC = output channels; NH = heads; V = vocab.
//   - Backward ops ACCUMULATE (+=) into every gradient they write (input and parameter
//     gradients alike): the residual stream's two branches and the tied embedding both
//     rely on it. The caller zeroes gradients once per optimizer step.
//   - Results depend only on inputs and the thread count (no atomics in reductions), so a
//     run is bit-reproducible for a given thread count (CUDA: for a given GPU model).
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

// Arithmetic of a backend. fp32: IEEE fp32 everywhere (the CPU backend; the CUDA backend's
// parity mode). tf32: fp32 storage, matrix products on TF32 tensor cores. bf16: mixed
// precision (Micikevicius et al. 2018): bf16 activations and a bf16 copy of the weights
// for the matrix products, fp32 master weights, gradients of parameters and AdamW moments.
enum class Precision { fp32, tf32, bf16 };

const char* precision_name(Precision p);
// train.precision: "auto" (cpu: fp32, cuda: bf16), "fp32", "tf32" or "bf16"; throws
// InputError naming train.precision for another value or one the device cannot run.
Precision parse_precision(const std::string& precision, const std::string& device);

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
  // n values of an activation buffer (see the conventions above), to and from fp32.
  virtual void upload_activations(float* dst, const float* host, size_t n) { upload(dst, host, n); }
  virtual void download_activations(float* host, const float* src, size_t n) { download(host, src, n); }
  virtual void zero_activations(float* p, size_t n) { zero(p, n); }
  virtual Precision precision() const { return Precision::fp32; }
  // Bytes of one activation value: 4, or 2 for bf16.
  virtual size_t activation_bytes() const { return sizeof(float); }

  // ---- ops: forward and backward -------------------------------------------------
  // out (N,C) act = wte[inp] + wpe[t]; inp (B,T) token ids; dout act.
  virtual void encoder_forward(float* out, const int32_t* inp, const float* wte, const float* wpe, int B,
                               int T, int C) = 0;
  virtual void encoder_backward(float* dwte, float* dwpe, const float* dout, const int32_t* inp, int B, int T,
                                int C) = 0;

  // out (N,C) = (inp - mean) * rstd * w + b, eps = 1e-5; mean, rstd (N) saved for backward.
  // out, inp, dinp, dout act.
  virtual void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w,
                                 const float* b, int N, int C) = 0;
  virtual void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                                  const float* w, const float* mean, const float* rstd, int N, int C) = 0;

  // out (N,OC) = inp (N,C) @ w^T + bias; w (OC,C); bias (OC) or nullptr. out, inp, dinp,
  // dout act.
  virtual void matmul_forward(float* out, const float* inp, const float* w, const float* bias, int N, int C,
                              int OC) = 0;
  // dinp (N,C) += dout @ w; dw (OC,C) += dout^T @ inp; dbias (OC) += column sums of dout
  // (skipped when nullptr). dinp may be nullptr when the input needs no gradient.
  virtual void matmul_backward(float* dinp, float* dw, float* dbias, const float* dout, const float* inp,
                               const float* w, int N, int C, int OC) = 0;

  // Causal self-attention. qkv (B,T,3C) holds [q | k | v], head h at columns h*hs.
  // out (B,T,C) = softmax(scale * q k^T + causal mask) v per head. `state` is the
  // backend's saved state for backward, attention_state_floats(B,T,NH) floats (the CPU
  // backend keeps the probabilities (B,NH,T,T); the CUDA backend only the logsumexp of
  // each row (B,NH,T), flash-attention style). qkv, out, dqkv, dout act.
  virtual size_t attention_state_floats(int B, int T, int NH) const = 0;
  virtual void attention_forward(float* out, float* state, const float* qkv, int B, int T, int C, int NH,
                                 float scale) = 0;
  virtual void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out,
                                  const float* state, int B, int T, int C, int NH, float scale) = 0;

  // GELU, tanh approximation (Hendrycks and Gimpel 2016), elementwise over n; all act.
  virtual void gelu_forward(float* out, const float* inp, size_t n) = 0;
  virtual void gelu_backward(float* dinp, const float* inp, const float* dout, size_t n) = 0;

  // out = a + b, elementwise over n; all act.
  virtual void residual_forward(float* out, const float* a, const float* b, size_t n) = 0;

  // ---- fused ops: each has a default that composes the ops above, so a backend
  // overrides them only where fusing saves memory traffic (the CUDA backend does).
  // residual (N,C) = a + b, then out = layernorm(residual) as layernorm_forward. The
  // backward needs no fused op: layernorm_backward accumulates into the residual
  // stream's gradient, which the skip connection passes through unchanged.
  virtual void residual_layernorm_forward(float* residual, float* out, float* mean, float* rstd, const float* a,
                                          const float* b, const float* w, const float* bias, int N, int C);
  // pre (N,OC) = inp @ w^T + bias (kept for gelu_backward); out = gelu(pre).
  virtual void matmul_gelu_forward(float* out, float* pre, const float* inp, const float* w, const float* bias,
                                   int N, int C, int OC);

  // Fused softmax cross-entropy over logits (N,V) act scaled by logit_scale:
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

// The CUDA attention kernel holds a head in registers and shared memory: d_model / n_head
// at most this (GPT-2 uses 64). RunConfig::validate refuses larger heads for "cuda".
constexpr int kCudaMaxHeadSize = 128;

// "cpu" (threads <= 0: all cores) or "cuda" (GPU 0; threads unused) at a train.precision
// (parse_precision). Throws InputError naming train.device for an unknown device, one this
// build lacks or one this machine lacks.
std::unique_ptr<Backend> make_backend(const std::string& device, int threads,
                                      const std::string& precision = "auto");

// Whether this build has the CUDA backend, and how many CUDA devices it sees (0 without
// the backend, a driver or a GPU): GPU tests skip, with a message, when it is 0.
bool cuda_built();
int cuda_device_count();

}  // namespace scalelab
