// The SIMD path switch (core/simd_path.h): what the machine runs, pinning each
// path, and the errors for a path that is unknown or that this CPU lacks.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/simd_path.h"
#include "core/error.h"

namespace scalelab {
namespace {

// Every name the switch knows on some architecture.
const std::vector<std::string> kAllPaths = {"avx512", "avx2", "sse4", "neon", "scalar"};

TEST(SimdPath, AvailablePathsAreBestFirstAndEndInScalar) {
  const auto paths = simd::available_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.back(), "scalar");
  // Best first: the order of kAllPaths.
  size_t last = 0;
  for (const auto& p : paths) {
    const size_t at = std::find(kAllPaths.begin(), kAllPaths.end(), p) - kAllPaths.begin();
    ASSERT_LT(at, kAllPaths.size()) << p;
    EXPECT_GE(at, last) << p;
    last = at;
  }
#if defined(__x86_64__)
  // Every x86-64 CPU has SSE4-or-better vectors; the binary must carry that path.
  EXPECT_NE(std::find(paths.begin(), paths.end(), "sse4"), paths.end());
#endif
}

TEST(SimdPath, PinsEachPathAndReturnsToTheBest) {
  const auto paths = simd::available_paths();
  simd::pin_path("auto");
  EXPECT_EQ(simd::current_path(), paths.front());
  for (const auto& p : paths) {
    simd::pin_path(p);
    EXPECT_EQ(simd::current_path(), p);
    EXPECT_EQ(simd::available_paths(), paths);  // a pin does not hide the others
  }
  simd::pin_path("auto");
  EXPECT_EQ(simd::current_path(), paths.front());
}

TEST(SimdPath, UnknownOrMissingPathsNameTheSourceAndTheChoices) {
  const auto paths = simd::available_paths();
  auto message = [](const std::string& name) {
    try {
      simd::pin_path(name, "--simd");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string unknown = message("avx1024");
  EXPECT_EQ(unknown.rfind("--simd=avx1024: unknown SIMD path", 0), 0u) << unknown;
  for (const auto& p : paths) EXPECT_NE(unknown.find(p), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find('\n'), std::string::npos);
  // Paths of this architecture that this CPU lacks, and those of other architectures.
  for (const auto& p : kAllPaths) {
    if (std::find(paths.begin(), paths.end(), p) != paths.end()) continue;
    const std::string m = message(p);
    EXPECT_NE(m, "no error") << p;
    EXPECT_EQ(m.rfind("--simd=" + p + ": ", 0), 0u) << m;
  }
  EXPECT_EQ(simd::current_path(), paths.front());  // a refused pin changes nothing
}

}  // namespace
}  // namespace scalelab
