// defines: SCALELAB_SKIP_WITHOUT_GPU, scalelab::gputest:: the CUDA backend at a precision,
//          activation buffers, bf16 rounding on the host and the tolerances of the GPU tests
//
// Every GPU test begins with SCALELAB_SKIP_WITHOUT_GPU() (in its body or its fixture's
// SetUp): on a machine without a CUDA device the test is reported SKIPPED with a message
// that says so and whether this build has the CUDA backend at all, so the CPU suite passes
// on CI while `ctest -L gpu -V` shows why nothing ran.
//
// Activation buffers (backend.h: the model's activations and their gradients) hold bf16 in
// their first half in the CUDA backend's bf16 mode, so they move through
// upload_activations/download_activations (Act below); parameters, their gradients, AdamW
// moments, LayerNorm statistics, the attention state and losses are always fp32 and move
// through upload/download (optest::Dev).
//
//   TEST_P(CudaOps, Gelu) {           // fixture SetUp: SCALELAB_SKIP_WITHOUT_GPU(); be = gpu_backend(p)
//     auto x = gputest::as_input(optest::randn(rng, n), p);   // bf16-rounded in bf16 mode
//     gputest::Act d_x(*be, x), d_out(*be, n);
//     be->gelu_forward(d_out.p, d_x.p, n);
//     EXPECT_LT(optest::rel_err(d_out.get(), want), gputest::tol_elementwise(p));
//   }
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "../backend/op_test_util.h"
#include "backend/backend.h"
#include "core/rng.h"

#define SCALELAB_SKIP_WITHOUT_GPU()                                                                   \
  do {                                                                                                \
    if (::scalelab::cuda_device_count() == 0)                                                         \
      GTEST_SKIP() << "no CUDA device: GPU test skipped (this build has the CUDA backend: "          \
                   << (::scalelab::cuda_built() ? "yes" : "no") << ")";                              \
  } while (0)

namespace scalelab {
// gtest prints a Precision parameter by name (found by argument-dependent lookup).
inline void PrintTo(Precision p, std::ostream* os) { *os << precision_name(p); }
}  // namespace scalelab

namespace scalelab::gputest {

// The precisions every op test runs at, and their names for test instantiation.
inline std::vector<Precision> all_precisions() { return {Precision::fp32, Precision::tf32, Precision::bf16}; }
inline std::string param_name(const ::testing::TestParamInfo<Precision>& info) { return precision_name(info.param); }

// The CUDA backend through the factory (not the CudaBackend class), so these tests also
// compile and link in a build without the CUDA backend (where they skip).
inline std::unique_ptr<Backend> gpu_backend(Precision p) { return make_backend("cuda", 0, precision_name(p)); }

// fp32 -> bf16 -> fp32 with round-to-nearest-even, as __float2bfloat16_rn (finite inputs).
inline float round_bf16(float x) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return std::bit_cast<float>(u & 0xFFFF0000u);
}
inline std::vector<float> round_bf16(std::vector<float> v) {
  for (auto& x : v) x = round_bf16(x);
  return v;
}

// Test inputs as the backend will see them: in bf16 mode activations are stored as bf16
// and matrix products read a bf16 copy of the weights, so the reference runs on the same
// rounded values. (Rounding parameters that stay fp32, such as LayerNorm weights, changes
// nothing but the random draw.)
inline std::vector<float> as_input(std::vector<float> v, Precision p) {
  return p == Precision::bf16 ? round_bf16(std::move(v)) : v;
}

// Norm-wise relative error bounds (optest::rel_err: max|a - b| / max|b|) against the
// reference op run in double on the same inputs.
//   fp32: IEEE fp32 with another summation order and __expf: ~1e-6 in practice.
//   tf32: matrix products round their inputs to a 10-bit mantissa (2^-11 ~ 5e-4 relative).
//   bf16: each stored activation is rounded to an 8-bit mantissa (2^-9 ~ 2e-3 relative).
inline double tol_elementwise(Precision p) { return p == Precision::bf16 ? 1e-2 : 1e-4; }
inline double tol_matmul(Precision p) { return p == Precision::fp32 ? 1e-4 : 1e-2; }
// fp32 outputs computed in fp32 from (possibly rounded) inputs: statistics, parameter
// gradients of non-matmul ops, AdamW.
constexpr double kTolFp32 = 1e-4;

// An activation buffer in backend memory (see the conventions in backend.h).
struct Act {
  Backend& be;
  float* p;
  size_t n;
  Act(Backend& b, const std::vector<float>& host) : be(b), p(b.alloc(host.size())), n(host.size()) {
    be.upload_activations(p, host.data(), n);
  }
  Act(Backend& b, size_t count) : be(b), p(b.alloc(count)), n(count) {}
  ~Act() { be.free(p); }
  Act(const Act&) = delete;
  Act& operator=(const Act&) = delete;
  std::vector<float> get() const {
    std::vector<float> h(n);
    be.download_activations(h.data(), p, n);
    return h;
  }
};

// Concatenates host vectors (the outputs of one run, for bit-for-bit determinism checks).
inline std::vector<float> concat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> all;
  for (const auto& v : parts) all.insert(all.end(), v.begin(), v.end());
  return all;
}

// The fixture of the op tests, parameterised by precision; skips without a GPU.
class CudaOpTest : public ::testing::TestWithParam<Precision> {
 protected:
  void SetUp() override {
    SCALELAB_SKIP_WITHOUT_GPU();
    p = GetParam();
    be = gpu_backend(p);
  }
  // n standard normal values (times scale), rounded to bf16 in bf16 mode.
  std::vector<float> input(size_t n, double scale = 1.0) { return as_input(optest::randn(rng, n, scale), p); }
  Precision p = Precision::fp32;
  std::unique_ptr<Backend> be;
  Rng rng{20261123};
};

}  // namespace scalelab::gputest
