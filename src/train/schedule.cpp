#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"

namespace scalelab {

bool is_schedule_kind(const std::string& kind) {
  return kind == "cosine" || kind == "wsd" || kind == "constant";
}

bool is_cooldown_shape(const std::string& shape) { return shape == "linear" || shape == "1-sqrt"; }

ScheduleConfig parse_schedule(const std::string& text, const std::string& option) {
  auto fail = [&](const std::string& why) {
    return InputError(fmt::format("{} \"{}\": {}; expected KIND:steps=S,lr=LR[,warmup=W,floor=F,cooldown=K,shape=SH] "
                                  "with KIND cosine, wsd or constant",
                                  option, text, why));
  };
  const size_t colon = text.find(':');
  ScheduleConfig c;
  c.kind = text.substr(0, colon);
  if (!is_schedule_kind(c.kind)) throw fail(fmt::format("unknown kind \"{}\"", c.kind));
  if (colon == std::string::npos) throw fail("no steps and lr");
  auto number = [&](const std::string& key, const std::string& value) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != value.size() || !std::isfinite(v)) throw fail(fmt::format("{}={} is not a number", key, value));
    return v;
  };
  bool has_steps = false, has_lr = false;
  std::string rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string::npos) throw fail(fmt::format("\"{}\" is not key=value", item));
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "shape") {
      if (!is_cooldown_shape(value)) throw fail(fmt::format("shape={} is not linear or 1-sqrt", value));
      c.cooldown_shape = value;
      continue;
    }
    const double v = number(key, value);
    if (key == "steps" || key == "warmup") {
      if (v != std::floor(v) || v < (key == "steps" ? 1 : 0))
        throw fail(fmt::format("{}={} is not a whole number >= {}", key, value, key == "steps" ? 1 : 0));
      (key == "steps" ? c.total_steps : c.warmup_steps) = static_cast<int64_t>(v);
      has_steps = has_steps || key == "steps";
    } else if (key == "lr") {
      if (v <= 0) throw fail(fmt::format("lr={} is not positive", value));
      c.lr = v;
      has_lr = true;
    } else if (key == "floor" || key == "cooldown") {
      if (v < 0 || v > 1) throw fail(fmt::format("{}={} is not in [0, 1]", key, value));
      (key == "floor" ? c.min_lr_ratio : c.cooldown_fraction) = v;
    } else {
      throw fail(fmt::format("unknown key \"{}\"", key));
    }
  }
  if (!has_steps || !has_lr) throw fail(!has_steps ? "steps is missing" : "lr is missing");
  return c;
}

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
