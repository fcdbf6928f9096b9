// Parameter, FLOP and activation accounting (model/accounting.h): parameter counts
// against the sum over the tensors of a ParamLayout, FLOPs against a hand calculation of
// Kaplan et al. 2020 (eq. 2.1, table 1) and Hoffmann et al. 2022 (appendix F) for one
// config, and activation floats against a hand count. That activation_floats equals what
// Gpt allocates is checked in tests/backend/test_gpt_accounting.cpp (it needs a Backend).
#include <gtest/gtest.h>

#include <string>

#include "model/accounting.h"
#include "model_testing.h"
#include "model/param_layout.h"

namespace scalelab {
namespace {

using testing::shape;

TEST(Accounting, ParamCountsEqualTheSumOverTensors) {
  for (const ModelConfig& cfg : {shape(2, 64, 2, 128, 256), shape(1, 8, 2, 5, 11), shape(6, 256, 8, 256, 50257),
                                 shape(3, 48, 3, 17, 7)}) {
    SCOPED_TRACE("L=" + std::to_string(cfg.n_layer) + " C=" + std::to_string(cfg.d_model));
    ParamLayout layout(cfg);
    size_t sum = 0, embedding = 0;
    for (int i = 0; i < kNumParamTensors; ++i) {
      const auto id = static_cast<ParamId>(i);
      EXPECT_EQ(layout.offset(id), sum) << layout.info(id).name;  // contiguous, in ParamId order
      sum += layout.size(id);
      if (layout.info(id).kind == ParamKind::kEmbedding) embedding += layout.size(id);
    }
    EXPECT_EQ(layout.total(), sum);
    const ParamCounts n = count_params(cfg);
    EXPECT_EQ(n.total, static_cast<int64_t>(sum));
    EXPECT_EQ(n.embedding, static_cast<int64_t>(embedding));
    EXPECT_EQ(n.nonembedding, static_cast<int64_t>(sum - embedding));
  }
}

// L=2, C=64, NH=2, T=128, V=256, worked by hand:
//   per block 12 C^2 + 13 C = 49152 + 832 = 49984; N = 2 x 49984 + 2C (final LN) = 100096
//   embeddings V C + T C = 16384 + 8192 = 24576; total 124672.
TEST(Accounting, ParamCountsByHand) {
  const ParamCounts n = count_params(shape(2, 64, 2, 128, 256));
  EXPECT_EQ(n.nonembedding, 100096);
  EXPECT_EQ(n.embedding, 24576);
  EXPECT_EQ(n.total, 124672);
}

// Same config. Kaplan: 6N = 600576; + 6 L T C = 98304 gives 698880.
// Hoffmann et al. 2022 appendix F, forward FLOPs of one sequence (T = 128):
//   embeddings 2 T V C = 4194304
//   per layer: qkv 2*3*T*C*C = 3145728, q.k 2 T^2 C = 2097152, softmax 3 H T^2 = 98304,
//              a.v 2 T^2 C = 2097152, out proj 2 T C^2 = 1048576, MLP 2 T (8 C^2) = 8388608
//              -> 16875520, x 2 layers = 33751040
//   final logits 2 T C V = 4194304
//   forward = 42139648 per sequence = 329216 per token; training = 3 x = 987648 per token.
TEST(Accounting, FlopsByHand) {
  const FlopCounts f = count_flops(shape(2, 64, 2, 128, 256));
  EXPECT_DOUBLE_EQ(f.per_token_6n, 600576.0);
  EXPECT_DOUBLE_EQ(f.per_token_6n_attn, 698880.0);
  EXPECT_DOUBLE_EQ(f.forward_per_token_full, 329216.0);
  EXPECT_DOUBLE_EQ(f.per_token_full, 987648.0);
}

// Same config, B = 1 (BT = 128):
//   per layer: ln1 + mean + rstd 8448, qkv 24576, attention out 8192, probabilities
//   B NH T^2 = 32768, projection 8192, residual 8192, ln2 8448, fc 32768, gelu 32768,
//   fcproj 8192, residual 8192 -> 180736
//   total: embeddings 8192 + 2 x 180736 + final LN 8448 + logits 32768 + losses 128 = 411008.
TEST(Accounting, ActivationFloatsByHand) {
  const ModelConfig cfg = shape(2, 64, 2, 128, 256);
  EXPECT_EQ(activation_floats(cfg, 1), 411008);
  EXPECT_EQ(activation_floats(cfg, 3), 3 * 411008);  // every buffer is per sequence
}

}  // namespace
}  // namespace scalelab
