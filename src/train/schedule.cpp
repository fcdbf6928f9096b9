#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace scalelab {

bool is_schedule_kind(const std::string& kind) {
  return kind == "cosine" || kind == "wsd" || kind == "constant";
}

bool is_cooldown_shape(const std::string& shape) { return shape == "linear" || shape == "1-sqrt"; }

LrSchedule::LrSchedule(const ScheduleConfig& cfg) : cfg_(cfg) {
  SL_ASSERT(is_schedule_kind(cfg.kind));
  SL_ASSERT(cfg.total_steps >= 1 && cfg.warmup_steps >= 0);
  SL_ASSERT(cfg.min_lr_ratio >= 0.0 && cfg.min_lr_ratio <= 1.0);
  warmup_ = std::min(cfg.warmup_steps, cfg.total_steps);
  cooldown_start_ = cfg.total_steps;
  if (cfg.kind == "wsd") {
    SL_ASSERT(is_cooldown_shape(cfg.cooldown_shape));
    SL_ASSERT(cfg.cooldown_fraction >= 0.0 && cfg.cooldown_fraction <= 1.0);
    const auto k = static_cast<int64_t>(std::llround(cfg.cooldown_fraction * static_cast<double>(cfg.total_steps)));
    cooldown_start_ = std::max(warmup_, cfg.total_steps - k);
  }
}

double LrSchedule::lr(int64_t step) const {
  const double peak = cfg_.lr;
  const double floor = cfg_.min_lr_ratio * peak;
  if (step < warmup_) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup_);
  if (cfg_.kind == "constant") return peak;
  if (cfg_.kind == "cosine") {
    const int64_t span = cfg_.total_steps - warmup_;
    const double p = std::min(1.0, static_cast<double>(step - warmup_) / static_cast<double>(span));
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
  }
  // WSD
  if (step < cooldown_start_) return peak;
  const int64_t k = cfg_.total_steps - cooldown_start_;
  const double q = std::min(1.0, static_cast<double>(step - cooldown_start_) / static_cast<double>(k));
  const double g = cfg_.cooldown_shape == "linear" ? 1.0 - q : 1.0 - std::sqrt(q);
  return floor + (peak - floor) * g;
}

}  // namespace scalelab
