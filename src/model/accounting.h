// defines: scalelab::ParamCounts, scalelab::FlopCounts, count_params, count_flops,
//          activation_floats
//
// Parameter and FLOP accounting, each computed from the shape by formula (and tested
// against the sum over the allocated tensors, tests/model/test_accounting.cpp).
//
//   auto n = count_params(cfg);      // n.total, n.nonembedding
//   auto f = count_flops(cfg);       // f.per_token_6n, f.per_token_full
#pragma once

#include <cstdint>

#include "model/model_config.h"

namespace scalelab {

struct ParamCounts {
  int64_t total = 0;         // every trained scalar (the output projection is tied: counted once)
  // Kaplan et al. 2020 (sec. 2.1): N excludes the token and position embeddings. With
  // tied weights the readout is the token embedding, so it is excluded too.
  int64_t nonembedding = 0;
  int64_t embedding = 0;     // wte + wpe
};

// Training FLOPs per token (forward + backward), three conventions:
struct FlopCounts {
  // Kaplan et al. 2020, eq. 2.1: C = 6 N per token, N non-embedding.
  double per_token_6n = 0;
  // Kaplan et al. 2020, table 1: 6N + 6 n_layer n_ctx d_attn (adds attention's q.k and
  // a.v products); the MFU convention of llm.c and nanoGPT.
  double per_token_6n_attn = 0;
  // Hoffmann et al. 2022, appendix F (table 4): every matmul including embeddings,
  // attention logits and softmax, the output logits; backward = 2 x forward.
  double per_token_full = 0;
  double forward_per_token_full = 0;
};

ParamCounts count_params(const ModelConfig& cfg);
FlopCounts count_flops(const ModelConfig& cfg);

// fp32 activations kept for the backward pass of one micro-batch of B sequences, in
// floats (llm.c's ActivationTensors layout; attention probabilities stored (B, NH, T, T)).
int64_t activation_floats(const ModelConfig& cfg, int64_t batch_size);

}  // namespace scalelab
