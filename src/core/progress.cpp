#include "core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace scalelab {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  auto total = static_cast<int64_t>(s + 0.5);
  if (total < 3600) return fmt::format("{}m{:02d}s", total / 60, static_cast<int>(total % 60));
  return fmt::format("{}h{:02d}m", total / 3600, static_cast<int>((total % 3600) / 60));
}

Progress::Progress(std::string label, int64_t total, int64_t start)
    : label_(std::move(label)), total_(total), start_(start), done_(start), interactive_(::isatty(2) == 1) {}

Progress::~Progress() { finish(); }

double Progress::eta_seconds() const {
  int64_t did = done_ - start_;
  if (did <= 0) return -1.0;
  return timer_.seconds() / static_cast<double>(did) * static_cast<double>(total_ - done_);
}

void Progress::update(int64_t done, const std::string& note) {
  done_ = done;
  if (!interactive_) return;
  double now = timer_.seconds();
  if (now - last_draw_ < 0.1 && done_ < total_) return;  // at most 10 redraws a second
  last_draw_ = now;
  constexpr int kWidth = 24;
  double frac = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  fmt::print(stderr, "\r\033[K{} [{}] {}/{} {} eta {}", label_, bar, done_, total_, note,
             format_duration(eta_seconds()));
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (interactive_ && last_draw_ >= 0) fmt::print(stderr, "\r\033[K");
}

}  // namespace scalelab
