// model/accounting.h against what Gpt actually allocates: the parameter count against
// the parameter buffer, and activation_floats against the activation buffer, counted by
// a backend that records every allocation. (Formula-only checks live in
// tests/model/test_accounting.cpp; this one needs a Backend, hence test_backend.)
#include <gtest/gtest.h>

#include <string>

#include "../model/model_testing.h"
#include "backend/gpt.h"
#include "gpt_test_util.h"
#include "model/accounting.h"
#include "reference_backend.h"

namespace scalelab {
namespace {

// The reference backend, counting the floats and int32s handed out.
class CountingBackend : public ReferenceBackend {
 public:
  float* alloc(size_t n) override {
    floats += n;
    return ReferenceBackend::alloc(n);
  }
  int32_t* alloc_i32(size_t n) override {
    ints += n;
    return ReferenceBackend::alloc_i32(n);
  }
  size_t floats = 0, ints = 0;
};

using testing::shape;

TEST(GptAccounting, AllocationsMatchTheFormulas) {
  for (const ModelConfig& cfg : {shape(2, 8, 2, 6, 11), shape(3, 48, 4, 17, 256), shape(1, 16, 1, 5, 3)}) {
    for (int B : {1, 3}) {
      SCOPED_TRACE("L=" + std::to_string(cfg.n_layer) + " C=" + std::to_string(cfg.d_model) +
                   " B=" + std::to_string(B));
      CountingBackend be;
      Gpt gpt(cfg, be, B);
      const int64_t P = count_params(cfg).total;
      EXPECT_EQ(static_cast<int64_t>(gpt.num_params()), P);
      EXPECT_EQ(static_cast<int64_t>(gpt.activation_floats()), activation_floats(cfg, B));
      // Backward scratch: d residual plus two (N,C) and two (N,4C) buffers = 11 N C.
      const size_t N = static_cast<size_t>(B * cfg.seq_len), C = static_cast<size_t>(cfg.d_model);
      EXPECT_EQ(gpt.scratch_floats(), 11 * N * C);
      // Params, grads, AdamW m and v, activations, scratch: nothing else.
      EXPECT_EQ(be.floats, 4 * static_cast<size_t>(P) + gpt.activation_floats() + gpt.scratch_floats());
      EXPECT_EQ(be.ints, 2 * N);  // inputs and targets
    }
  }
}

// The CPU backend's attention state is the (B,NH,T,T) probabilities, which is what
// model/accounting.h assumes.
TEST(GptAccounting, CpuBackendActivationsMatchTheFormula) {
  const ModelConfig cfg = shape(2, 32, 4, 16, 64);
  auto be = make_backend("cpu", 1);
  Gpt gpt(cfg, *be, 2);
  EXPECT_EQ(static_cast<int64_t>(gpt.activation_floats()), activation_floats(cfg, 2));
}

}  // namespace
}  // namespace scalelab
