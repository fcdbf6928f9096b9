#include "train/snapshots.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "train/checkpoint.h"

namespace scalelab {

namespace fs = std::filesystem;

std::vector<int64_t> snapshot_steps(int64_t total_steps, int64_t count) {
  std::vector<int64_t> steps;
  for (int64_t j = count; j >= 1; --j) {
    const int64_t s = std::llround(static_cast<double>(total_steps) / std::ldexp(1.0, static_cast<int>(j)));
    if (s > 0 && s < total_steps && (steps.empty() || steps.back() != s)) steps.push_back(s);
  }
  return steps;
}

fs::path snapshot_path(const fs::path& run_dir, int64_t step) {
  return run_dir / "snapshots" / fmt::format("step-{:08d}.bin", step);
}

std::vector<Snapshot> list_snapshots(const fs::path& run_dir) {
  std::vector<Snapshot> out;
  std::error_code ec;
  const fs::path dir = run_dir / "snapshots";
  if (fs::is_directory(dir, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name.size() != 17 || name.rfind("step-", 0) != 0 || e.path().extension() != ".bin") continue;
      const std::string digits = name.substr(5, 8);
      if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
      out.push_back({std::stoll(digits), e.path(), false});
    }
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) { return a.step < b.step; });
  const fs::path final_path = run_dir / "checkpoint.bin";
  if (fs::exists(final_path, ec)) out.push_back({read_checkpoint(final_path).step, final_path, true});
  return out;
}

}  // namespace scalelab
