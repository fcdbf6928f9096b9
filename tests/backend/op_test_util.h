// defines: scalelab::optest:: random tensors, device buffers and error measures for the
//          op tests (test_ops*.cpp)
//
// The tests move data through the Backend's own memory calls (alloc/upload/download),
// so the same tests can check any backend, not only the CPU one.
//
//   optest::Dev x(be, optest::randn(rng, 7 * 13));
//   be.layernorm_forward(out.p, mean.p, rstd.p, x.p, w.p, b.p, 7, 13);
//   EXPECT_LT(optest::rel_err(out.get(), ref_out), 1e-5);
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/simd_path.h"
#include "core/rng.h"

namespace scalelab::optest {

// One configuration of the CPU backend a test runs on: a SIMD path of the kernels
// (core/simd_path.h) and a thread count. cpu_cases() lists every path this
// machine runs, each with 1 and 2 threads; ctest names each case after both ("avx2_t2").
struct CpuCase {
  std::string path;
  int threads;
};
inline std::vector<CpuCase> cpu_cases() {
  std::vector<CpuCase> cases;
  for (const std::string& p : simd::available_paths())
    for (int t : {1, 2}) cases.push_back({p, t});
  return cases;
}
inline std::string cpu_case_name(const CpuCase& c) { return c.path + "_t" + std::to_string(c.threads); }
inline void PrintTo(const CpuCase& c, std::ostream* os) { *os << cpu_case_name(c); }

// Pins the kernels to one SIMD path for a scope (a test), then back to the best.
struct PinnedSimdPath {
  explicit PinnedSimdPath(const std::string& path) { simd::pin_path(path); }
  ~PinnedSimdPath() { simd::pin_path("auto"); }
  PinnedSimdPath(const PinnedSimdPath&) = delete;
  PinnedSimdPath& operator=(const PinnedSimdPath&) = delete;
};

inline std::vector<float> randn(Rng& rng, size_t n, double scale = 1.0) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(scale * rng.normal());
  return v;
}

inline std::vector<int32_t> randint(Rng& rng, size_t n, int V) {
  std::vector<int32_t> v(n);
  for (auto& x : v) x = static_cast<int32_t>(rng.below(static_cast<uint64_t>(V)));
  return v;
}

inline std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// A float tensor in backend memory, initialised from a host vector.
struct Dev {
  Backend& be;
  float* p;
  size_t n;
  Dev(Backend& b, const std::vector<float>& host) : be(b), p(b.alloc(host.size())), n(host.size()) {
    be.upload(p, host.data(), n);
  }
  Dev(Backend& b, size_t count) : be(b), p(b.alloc(count)), n(count) {}
  ~Dev() { be.free(p); }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  std::vector<float> get() const {
    std::vector<float> h(n);
    be.download(h.data(), p, n);
    return h;
  }
};

struct DevI32 {
  Backend& be;
  int32_t* p;
  DevI32(Backend& b, const std::vector<int32_t>& host) : be(b), p(b.alloc_i32(host.size())) {
    be.upload_i32(p, host.data(), host.size());
  }
  ~DevI32() { be.free(p); }
  DevI32(const DevI32&) = delete;
  DevI32& operator=(const DevI32&) = delete;
};

// Norm-wise relative error max_i |a_i - b_i| / max_i |b_i| (elementwise ratios blow up
// where a sum cancels to near zero; the max-norm scale does not).
inline double rel_err(const std::vector<float>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    num = std::max(num, std::abs(static_cast<double>(a[i]) - b[i]));
    den = std::max(den, std::abs(b[i]));
  }
  return den > 0 ? num / den : num;
}

inline bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](float x, float y) {
           return std::bit_cast<uint32_t>(x) == std::bit_cast<uint32_t>(y);
         });
}

}  // namespace scalelab::optest
