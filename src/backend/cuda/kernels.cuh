// defines: the launchers of backend/cuda/'s kernels, one op family per .cu file
//
// Each launcher runs on `stream` and is instantiated for the activation types float and
// bf16 (common.cuh). Shapes and the accumulate (+=) semantics are exactly those of the
// matching Backend op (backend/backend.h); CudaBackend (cuda_backend.cu) calls them.
#pragma once

#include <cublasLt.h>

#include "backend/backend.h"
#include "backend/cuda/common.cuh"

namespace scalelab::cuda {

// Device memory a launcher borrows for the length of one op: grown on demand, one buffer
// per slot so that nested users never share one. Implemented by CudaBackend.
class Scratch {
 public:
  enum Slot { kColumnPartials, kSort, kAttentionRows, kReduce, kSlots };
  virtual ~Scratch() = default;
  virtual void* get(Slot slot, size_t bytes) = 0;
};

// ---- encoder.cu -----------------------------------------------------------------------
template <class A>
void encoder_forward(A* out, const int32_t* inp, const float* wte, const float* wpe, int B, int T, int C,
                     cudaStream_t stream);
// Deterministic without atomics: positions are sorted by token (a stable radix sort), and
// each token's rows are summed in position order.
template <class A>
void encoder_backward(float* dwte, float* dwpe, const A* dout, const int32_t* inp, int B, int T, int C,
                      Scratch& scratch, cudaStream_t stream);

// ---- layernorm.cu ---------------------------------------------------------------------
template <class A>
void layernorm_forward(A* out, float* mean, float* rstd, const A* inp, const float* w, const float* b, int N, int C,
                       cudaStream_t stream);
template <class A>
void residual_layernorm_forward(A* residual, A* out, float* mean, float* rstd, const A* a, const A* b,
                                const float* w, const float* bias, int N, int C, cudaStream_t stream);
template <class A>
void layernorm_backward(A* dinp, float* dw, float* db, const A* dout, const A* inp, const float* w,
                        const float* mean, const float* rstd, int N, int C, Scratch& scratch, cudaStream_t stream);

// ---- elementwise.cu -------------------------------------------------------------------
template <class A>
void gelu_forward(A* out, const A* inp, size_t n, cudaStream_t stream);
template <class A>
void gelu_backward(A* dinp, const A* inp, const A* dout, size_t n, cudaStream_t stream);
template <class A>
void residual_forward(A* out, const A* a, const A* b, size_t n, cudaStream_t stream);
// dbias (OC) += column sums of dout (N,OC); two passes, fixed order.
template <class A>
void bias_backward(float* dbias, const A* dout, int N, int OC, Scratch& scratch, cudaStream_t stream);
// out (N,OC) += bias, for matrix products whose epilogue could not add it.
template <class A>
void add_bias(A* out, const float* bias, int N, int OC, cudaStream_t stream);
void float_to_bf16(bf16* out, const float* in, size_t n, cudaStream_t stream);
void bf16_to_float(float* out, const bf16* in, size_t n, cudaStream_t stream);

// ---- crossentropy.cu ------------------------------------------------------------------
template <class A>
void crossentropy_forward_backward(A* logits, float* losses, const int32_t* targets, int N, int V,
                                   float logit_scale, float dloss, cudaStream_t stream);

// ---- attention.cu ---------------------------------------------------------------------
// Flash-attention style (Dao et al. 2022; Dao 2023): the T x T scores are never stored.
// Forward keeps each row's logsumexp (B,NH,T) in `lse`; backward recomputes the scores
// tile by tile. Head size up to kMaxHeadSize.
constexpr int kMaxHeadSize = kCudaMaxHeadSize;
template <class A>
void attention_forward(A* out, float* lse, const A* qkv, int B, int T, int C, int NH, float scale,
                       cudaStream_t stream);
// The tensor-core path of the above for bf16 (attention_tc.cu), which attention_forward and
// attention_backward take when attention_tc_supported: head size a multiple of 16, at most
// kMaxHeadSizeTc. The backward takes D (B,NH,T) = rowwise dO . O, already computed.
constexpr int kMaxHeadSizeTc = 64;
bool attention_tc_supported(int C, int NH);
void attention_forward_tc(bf16* out, float* lse, const bf16* qkv, int B, int T, int C, int NH, float scale,
                          cudaStream_t stream);
void attention_backward_tc(bf16* dqkv, const bf16* dout, const bf16* qkv, const float* lse, const float* D, int B,
                           int T, int C, int NH, float scale, cudaStream_t stream);
template <class A>
void attention_backward(A* dqkv, const A* dout, const A* qkv, const A* out, const float* lse, int B, int T, int C,
                        int NH, float scale, Scratch& scratch, cudaStream_t stream);

// ---- adamw.cu -------------------------------------------------------------------------
// sum of squares in double: per-block partials, then one block sums them in order.
double sum_squares(const float* x, size_t n, Scratch& scratch, cudaStream_t stream);
// AdamW (backend.h); when shadow != nullptr also writes the updated parameters as bf16.
void adamw_update(float* params, bf16* shadow, const float* grads, float* m, float* v, size_t n,
                  const AdamWStep& s, cudaStream_t stream);

}  // namespace scalelab::cuda
