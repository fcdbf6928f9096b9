// defines: scalelab::ScheduleConfig, scalelab::LrSchedule
//
// Learning-rate schedules, each starting with a linear warm-up
//   lr(s) = lr * (s + 1) / W                      for s < W (s the 0-based step)
// and then, with floor = min_lr_ratio * lr and S the total number of steps:
//   cosine   lr(s) = floor + (lr - floor) * (1 + cos(pi * p)) / 2,  p = (s - W) / (S - W)
//            (Loshchilov and Hutter 2017, SGDR, without restarts; the Chinchilla recipe of
//            Hoffmann et al. 2022 decays to 10% of the peak, our default floor)
//   wsd      warm-up, stable at lr, then a cooldown over the last K = round(f * S) steps
//            (Hagele et al. 2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed
//            Training Durations", sec. 3):
//              lr(s) = floor + (lr - floor) * g(q),  q = (s - S0) / K,  S0 = S - K
//              g(q) = 1 - q          ("linear")
//              g(q) = 1 - sqrt(q)    ("1-sqrt", their best-performing shape)
//            The cooldown never starts before the warm-up ends: S0 >= W.
//   constant lr(s) = lr after the warm-up.
// p and q run from 0 at the first step of a phase up to (n-1)/n at its last, so every step
// takes a non-zero learning rate even with a floor of zero.
//
//   LrSchedule sched({.kind = "cosine", .lr = 1e-3, .warmup_steps = 10, .total_steps = 200});
//   double lr = sched.lr(step);           // step in [0, total_steps)
#pragma once

#include <cstdint>
#include <string>

namespace scalelab {

struct ScheduleConfig {
  std::string kind = "cosine";     // "cosine" | "wsd" | "constant"
  double lr = 1e-3;                // peak
  double min_lr_ratio = 0.1;       // floor / peak, in [0, 1]
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double cooldown_fraction = 0.2;  // WSD only, in [0, 1]
  std::string cooldown_shape = "1-sqrt";  // WSD only: "linear" | "1-sqrt"
};

class LrSchedule {
 public:
  // InternalError on an invalid config (TrainConfig::validate checks user input first).
  explicit LrSchedule(const ScheduleConfig& cfg);
  double lr(int64_t step) const;
  // First step of the WSD cooldown (S0); total_steps for the other schedules.
  int64_t cooldown_start() const { return cooldown_start_; }
  const ScheduleConfig& config() const { return cfg_; }

 private:
  ScheduleConfig cfg_;
  int64_t warmup_ = 0;  // effective warm-up, at most total_steps
  int64_t cooldown_start_ = 0;
};

// A schedule written on one line, KIND:key=value,... with KIND cosine, wsd or constant and
// keys steps and lr (required), warmup (0), floor (the min_lr_ratio, 0.1), cooldown (the
// WSD cooldown fraction, 0.2) and shape (linear or 1-sqrt), e.g.
// "wsd:steps=4096,lr=3e-3,warmup=20,cooldown=0.2". InputError naming `option`, the text and
// what was expected.
ScheduleConfig parse_schedule(const std::string& text, const std::string& option);

// Names accepted for train.schedule and train.wsd_cooldown_shape.
bool is_schedule_kind(const std::string& kind);
bool is_cooldown_shape(const std::string& shape);

}  // namespace scalelab
