// SCALELAB_SIMD, the switch that pins the CPU kernels' SIMD path, as a user meets it:
// `scalelab info` names the path in use and the paths available; an unknown value is a
// one-line input error (exit 2) naming the variable and the paths.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/simd_path.h"
#include "cli_testing.h"
#include "core/json.h"
#include "../core/core_testing.h"

namespace scalelab {
namespace {

using cli_testing::expect_input_error;
using cli_testing::run_scalelab;

// Sets SCALELAB_SIMD for the child processes of one test.
struct SimdEnv {
  explicit SimdEnv(const std::string& v) { setenv("SCALELAB_SIMD", v.c_str(), 1); }
  ~SimdEnv() { unsetenv("SCALELAB_SIMD"); }
};

TEST(SimdCli, InfoReportsEachPinnedPath) {
  core_testing::ScratchDir dir;
  const auto paths = simd::available_paths();
  for (const std::string& p : paths) {
    SimdEnv env(p);
    auto r = run_scalelab(dir.path(), "info --json");
    ASSERT_EQ(r.code, 0) << r.err;
    const Json j = Json::parse(r.out);
    EXPECT_EQ(j["simd_path"], p);
    EXPECT_EQ(j["simd_paths_available"].get<std::vector<std::string>>(), paths);
  }
  SimdEnv env("auto");
  auto r = run_scalelab(dir.path(), "info");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("simd         kernels on the " + paths.front() + " path"), std::string::npos) << r.out;
}

TEST(SimdCli, UnknownPathIsAnInputError) {
  core_testing::ScratchDir dir;
  for (const char* bad : {"avx9", "AVX2", "neon-ish"}) {
    SimdEnv env(bad);
    auto r = run_scalelab(dir.path(), "info");
    expect_input_error(r, {"SCALELAB_SIMD=" + std::string(bad), "unknown SIMD path", "scalar"}, bad);
    // The message lists every path this CPU runs.
    for (const std::string& p : simd::available_paths()) EXPECT_NE(r.err.find(p), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace scalelab
