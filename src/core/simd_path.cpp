// defines: simd::available_paths, simd::current_path, simd::pin_path, simd::apply_env
//
// Highway (hwy/targets.h) keeps one process-wide choice of target that every
// HWY_DYNAMIC_DISPATCH call reads; pinning a path narrows the targets Highway believes the
// CPU supports (SetSupportedTargetsForTest, meant for exactly this) and re-runs its choice.
// The kernel files and this one are compiled with the same HWY_TARGETS (src/CMakeLists.txt),
// so a path named here is a path every vectorised loop has.
#include "core/simd_path.h"

#include <cstdlib>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "hwy/highway.h"
#include "hwy/targets.h"

namespace scalelab::simd {

namespace {

struct PathDef {
  const char* name;
  int64_t targets;  // Highway targets that count as this path
};

// Best first. Highway targets of one family that we do not tell apart share a name.
constexpr PathDef kPaths[] = {
#if HWY_ARCH_X86
    {"avx512", HWY_AVX3 | HWY_AVX3_DL},
    {"avx2", HWY_AVX2},
    {"sse4", HWY_SSE4 | HWY_SSSE3},
#elif HWY_ARCH_ARM
    {"neon", HWY_NEON},  // SVE is not compiled (src/CMakeLists.txt says why)
#endif
    {"scalar", HWY_EMU128 | HWY_SCALAR},
};

// What the CPU supports, read once before any pin (a pin changes what Highway reports).
int64_t cpu_targets() {
  static const int64_t targets = hwy::SupportedTargets();
  return targets;
}

bool runnable(const PathDef& p) {
  return (p.targets & HWY_TARGETS & (cpu_targets() | HWY_EMU128 | HWY_SCALAR)) != 0;
}

std::mutex g_mutex;  // pins come from start-up and tests; keep them whole

}  // namespace

std::vector<std::string> available_paths() {
  std::vector<std::string> names;
  for (const PathDef& p : kPaths)
    if (runnable(p)) names.emplace_back(p.name);
  return names;
}

std::string current_path() {
  // The target Highway dispatches to: the best of those it now believes supported.
  const int64_t chosen = hwy::SupportedTargets() & HWY_TARGETS;
  const int64_t best = chosen & -chosen;  // lower bit = better target, on every architecture
  for (const PathDef& p : kPaths)
    if (p.targets & best) return p.name;
  return hwy::TargetName(best);
}

void pin_path(std::string_view name, std::string_view source) {
  std::lock_guard<std::mutex> lock(g_mutex);
  cpu_targets();  // the CPU's own answer, before the first pin
  int64_t mask = 0;
  if (name != "auto") {
    const PathDef* found = nullptr;
    for (const PathDef& p : kPaths)
      if (name == p.name) found = &p;
    const std::string avail = fmt::format("{}", fmt::join(available_paths(), ", "));
    SL_REQUIRE(found, "{}={}: unknown SIMD path; expected auto or one of the paths this CPU runs: {}", source, name,
               avail);
    SL_REQUIRE(runnable(*found), "{}={}: this CPU (or this build) lacks the {} path; it runs {}", source, name, name,
               avail);
    mask = found->targets & HWY_TARGETS;  // non-zero: runnable() said so
  }
  hwy::SetSupportedTargetsForTest(mask);  // 0 = back to the CPU's own answer
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

void apply_env() {
  const char* v = std::getenv("SCALELAB_SIMD");
  if (v && *v) pin_path(v, "SCALELAB_SIMD");
}

}  // namespace scalelab::simd
