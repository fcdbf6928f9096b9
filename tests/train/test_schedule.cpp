// Learning-rate schedules at known steps (train/schedule.h).
#include "train/schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "../core/core_testing.h"

namespace scalelab {
namespace {

ScheduleConfig base(const char* kind) {
  ScheduleConfig c;
  c.kind = kind;
  c.lr = 1.0;
  c.min_lr_ratio = 0.1;
  c.warmup_steps = 10;
  c.total_steps = 110;
  return c;
}

TEST(Schedule, WarmupIsLinearFromLrOverW) {
  for (const char* kind : {"cosine", "wsd", "constant"}) {
    LrSchedule s(base(kind));
    EXPECT_DOUBLE_EQ(s.lr(0), 0.1) << kind;
    EXPECT_DOUBLE_EQ(s.lr(4), 0.5) << kind;
    EXPECT_DOUBLE_EQ(s.lr(9), 1.0) << kind;
  }
}

TEST(Schedule, CosineHitsPeakMidpointAndApproachesFloor) {
  LrSchedule s(base("cosine"));
  EXPECT_NEAR(s.lr(10), 1.0, 1e-15);  // p = 0
  EXPECT_NEAR(s.lr(60), 0.55, 1e-15);         // p = 1/2: floor + (1 - floor) / 2
  EXPECT_NEAR(s.lr(35), 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * 0.25)), 1e-15);
  const double last = 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * 0.99));
  EXPECT_NEAR(s.lr(109), last, 1e-15);
  EXPECT_GT(s.lr(109), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(110), 0.1);           // past the end: the floor
  for (int64_t t = 10; t < 110; ++t) EXPECT_LE(s.lr(t + 1), s.lr(t)) << t;
}

TEST(Schedule, CosineWithZeroFloorAndNoWarmup) {
  ScheduleConfig c = base("cosine");
  c.min_lr_ratio = 0.0;
  c.warmup_steps = 0;
  c.total_steps = 4;
  LrSchedule s(c);
  EXPECT_DOUBLE_EQ(s.lr(0), 1.0);
  EXPECT_NEAR(s.lr(1), 0.5 * (1 + std::cos(std::numbers::pi / 4)), 1e-15);
  EXPECT_NEAR(s.lr(2), 0.5, 1e-15);
}

TEST(Schedule, WsdStableThenLinearCooldown) {
  ScheduleConfig c = base("wsd");
  c.total_steps = 100;
  c.cooldown_fraction = 0.2;
  c.cooldown_shape = "linear";
  c.min_lr_ratio = 0.0;
  LrSchedule s(c);
  EXPECT_EQ(s.cooldown_start(), 80);
  EXPECT_DOUBLE_EQ(s.lr(10), 1.0);
  EXPECT_DOUBLE_EQ(s.lr(79), 1.0);
  EXPECT_DOUBLE_EQ(s.lr(80), 1.0);   // q = 0
  EXPECT_DOUBLE_EQ(s.lr(90), 0.5);   // q = 1/2
  EXPECT_NEAR(s.lr(99), 0.05, 1e-15);  // q = 19/20
}

TEST(Schedule, WsdOneMinusSqrtCooldownWithFloor) {
  ScheduleConfig c = base("wsd");
  c.total_steps = 100;
  c.cooldown_fraction = 0.2;
  c.cooldown_shape = "1-sqrt";
  LrSchedule s(c);
  EXPECT_NEAR(s.lr(90), 0.1 + 0.9 * (1 - std::sqrt(0.5)), 1e-15);
  EXPECT_NEAR(s.lr(85), 0.1 + 0.9 * (1 - std::sqrt(0.25)), 1e-15);
  // 1-sqrt drops faster early in the cooldown than linear (Hagele et al. 2024, fig. 4).
  ScheduleConfig lin = c;
  lin.cooldown_shape = "linear";
  EXPECT_LT(s.lr(85), LrSchedule(lin).lr(85));
}

TEST(Schedule, WsdCooldownNeverStartsInsideWarmup) {
  ScheduleConfig c = base("wsd");
  c.total_steps = 10;
  c.warmup_steps = 8;
  c.cooldown_fraction = 0.5;
  LrSchedule s(c);
  EXPECT_EQ(s.cooldown_start(), 8);
  EXPECT_DOUBLE_EQ(s.lr(7), 1.0);
}

TEST(Schedule, ConstantAfterWarmupAndWarmupLongerThanRun) {
  LrSchedule s(base("constant"));
  EXPECT_DOUBLE_EQ(s.lr(10), 1.0);
  EXPECT_DOUBLE_EQ(s.lr(109), 1.0);
  ScheduleConfig c = base("cosine");
  c.warmup_steps = 50;
  c.total_steps = 5;  // warm-up clipped to the run: lr reaches the peak at the last step
  LrSchedule short_run(c);
  EXPECT_DOUBLE_EQ(short_run.lr(0), 0.2);
  EXPECT_DOUBLE_EQ(short_run.lr(4), 1.0);
}

// A schedule on one line (forecast --schedule): every key, the defaults, and a one-line
// error naming the option for each kind of mistake.
TEST(Schedule, ParsesOneLineSchedules) {
  const ScheduleConfig c = parse_schedule("wsd:steps=4096,lr=3e-3,warmup=20,floor=0,cooldown=0.25,shape=linear", "--s");
  EXPECT_EQ(c.kind, "wsd");
  EXPECT_EQ(c.total_steps, 4096);
  EXPECT_EQ(c.lr, 3e-3);
  EXPECT_EQ(c.warmup_steps, 20);
  EXPECT_EQ(c.min_lr_ratio, 0.0);
  EXPECT_EQ(c.cooldown_fraction, 0.25);
  EXPECT_EQ(c.cooldown_shape, "linear");
  const ScheduleConfig d = parse_schedule("cosine:steps=10,lr=1", "--s");
  EXPECT_EQ(d.warmup_steps, 0);
  EXPECT_EQ(d.min_lr_ratio, 0.1);
  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"", "unknown kind \"\""},
           {"cosine", "no steps and lr"},
           {"cosine:steps=10", "lr is missing"},
           {"cosine:lr=1", "steps is missing"},
           {"cosine:steps=1.5,lr=1", "steps=1.5 is not a whole number >= 1"},
           {"cosine:steps=10,lr=-1", "lr=-1 is not positive"},
           {"cosine:steps=10,lr=x", "lr=x is not a number"},
           {"wsd:steps=10,lr=1,cooldown=2", "cooldown=2 is not in [0, 1]"},
           {"wsd:steps=10,lr=1,shape=cubic", "shape=cubic is not linear or 1-sqrt"},
           {"wsd:steps=10,lr=1,peak=2", "unknown key \"peak\""},
           {"wsd:steps=10;lr=1", "steps=10;lr=1 is not a number"},
           {"wsd:steps=10,lr", "\"lr\" is not key=value"}}) {
    const std::string msg = core_testing::input_error_message([&] { parse_schedule(text, "--schedule"); });
    EXPECT_EQ(msg.rfind("--schedule \"" + text + "\": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << text << ": " << msg;
  }
}

}  // namespace
}  // namespace scalelab
