// The annealing law of training curves (schedule_law.h): its areas by hand, recovery of a
// known law from a constant and a cosine run, the curve of a WSD run and of a twice-as-long
// cosine run predicted from them, and the curve reader.
#include "fit/schedule_law.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/rng.h"
#include "fit_testing.h"

namespace scalelab::fit {
namespace {

using testing::input_error_message;
using core_testing::ScratchDir;

constexpr double kPi = 3.14159265358979323846;

// Learning rate of every step 1..S: linear warm-up over W steps, then the shape.
std::vector<double> schedule(const std::string& kind, int S, double peak, int W = 20) {
  std::vector<double> lr(static_cast<size_t>(S));
  const double floor = 0.1 * peak;
  const int K = static_cast<int>(std::lround(0.2 * S)), S0 = S - K;
  for (int s = 0; s < S; ++s) {
    double v = peak;
    if (s < W) v = peak * (s + 1) / W;
    else if (kind == "cosine") v = floor + (peak - floor) * (1 + std::cos(kPi * (s - W) / (S - W))) / 2;
    else if (kind == "wsd" && s >= S0) v = floor + (peak - floor) * (1 - std::sqrt(static_cast<double>(s - S0) / K));
    lr[static_cast<size_t>(s)] = v;
  }
  return lr;
}

const AnnealingFit kTruth = [] {
  AnnealingFit f;
  f.L0 = 1.7, f.A = 0.9, f.alpha = 0.45, f.C = 0.35, f.lambda = 0.999;
  return f;
}();

// A run of the true law, logged every `every` steps, with Gaussian noise of sd `noise`.
ScheduleCurve run_of(const std::string& name, const std::vector<double>& lr, int every, double noise, uint64_t seed) {
  const std::vector<double> truth = predict_annealing_curve(kTruth, lr);
  Rng rng(seed);
  ScheduleCurve c{name, lr, {}, {}};
  for (int64_t s = every; s <= static_cast<int64_t>(lr.size()); s += every) {
    c.steps.push_back(s);
    c.loss.push_back(truth[static_cast<size_t>(s - 1)] + noise * rng.normal());
  }
  return c;
}

TEST(AnnealingLaw, AreasByHand) {
  std::vector<double> s1, s2;
  annealing_areas({1, 1, 1, 1}, 0.999, s1, s2);  // constant: no annealing area
  EXPECT_EQ(s1, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(s2, (std::vector<double>{0, 0, 0, 0}));
  // A drop of 0.5 at step 3: the momentum is 0.5, then 0.5 lambda, ...
  annealing_areas({1, 1, 0.5, 0.5, 0.5}, 0.9, s1, s2);
  EXPECT_DOUBLE_EQ(s1.back(), 3.5);
  EXPECT_DOUBLE_EQ(s2[2], 0.5);
  EXPECT_DOUBLE_EQ(s2[4], 0.5 + 0.45 + 0.405);
}

// Fitted on a constant and a cosine run of 4000 steps, the law comes back and predicts a
// WSD run and a cosine run twice as long: final losses within 0.3%.
TEST(AnnealingLaw, FitsTwoSchedulesAndPredictsOthers) {
  const double peak = 1e-3;
  const std::vector<ScheduleCurve> runs = {run_of("constant", schedule("constant", 4000, peak), 40, 0.003, 1),
                                           run_of("cosine", schedule("cosine", 4000, peak), 40, 0.003, 2)};
  const AnnealingFit f = fit_annealing_law(runs, {});
  EXPECT_NEAR(f.alpha, kTruth.alpha, 0.05);
  EXPECT_NEAR(f.L0, kTruth.L0, 0.05);
  EXPECT_NEAR(f.C / kTruth.C, 1.0, 0.1);
  EXPECT_LT(f.rmse, 0.004);
  EXPECT_FALSE(f.at_search_edge());
  EXPECT_EQ(f.points, 2 * 95);  // 100 logged steps each, the first 5% left out
  for (const auto& [kind, steps] : std::vector<std::pair<std::string, int>>{{"wsd", 4000}, {"cosine", 8000}}) {
    const std::vector<double> lr = schedule(kind, steps, peak);
    const double predicted = predict_annealing_curve(f, lr).back();
    const double actual = predict_annealing_curve(kTruth, lr).back();
    EXPECT_NEAR(predicted / actual, 1.0, 0.003) << kind << " " << steps;
  }
  // lambda fitted too (AnnealingOptions::lambda = 0): a world with a shorter memory than
  // Tissue et al.'s 0.999 is found on the grid, and its WSD run predicted as well.
  {
    AnnealingFit short_memory = kTruth;
    short_memory.lambda = 0.99;
    auto run = [&](const std::string& name, const std::vector<double>& lr, uint64_t seed) {
      const std::vector<double> truth = predict_annealing_curve(short_memory, lr);
      Rng rng(seed);
      ScheduleCurve c{name, lr, {}, {}};
      for (int64_t s = 40; s <= static_cast<int64_t>(lr.size()); s += 40)
        c.steps.push_back(s), c.loss.push_back(truth[static_cast<size_t>(s - 1)] + 0.003 * rng.normal());
      return c;
    };
    const AnnealingFit g = fit_annealing_law(
        {run("constant", schedule("constant", 4000, peak), 3), run("cosine", schedule("cosine", 4000, peak), 4)},
        {.lambda = 0});
    EXPECT_EQ(g.lambda, 0.99);
    const std::vector<double> lr = schedule("wsd", 4000, peak);
    EXPECT_NEAR(predict_annealing_curve(g, lr).back() / predict_annealing_curve(short_memory, lr).back(), 1.0, 0.003);
  }
  // The fit survives JSON.
  const AnnealingFit back = AnnealingFit::from_json(f.to_json(), "fit.json");
  EXPECT_EQ(back.alpha, f.alpha);
  EXPECT_EQ(predict_annealing_curve(back, schedule("wsd", 500, peak)), predict_annealing_curve(f, schedule("wsd", 500, peak)));
}

TEST(AnnealingLaw, BadInput) {
  std::string msg = input_error_message([] { fit_annealing_law({run_of("r", schedule("constant", 40, 1e-3), 20, 0, 1)}, {}); });
  EXPECT_NE(msg.find("2 curve point(s)"), std::string::npos) << msg;
  msg = input_error_message([] { AnnealingFit::from_json(Json{{"law", "chinchilla"}}, "f.json"); });
  EXPECT_NE(msg.find("f.json: not an annealing-law fit"), std::string::npos) << msg;
  const ScheduleCurve ok = run_of("ok", schedule("cosine", 2000, 1e-3), 20, 0, 1);
  msg = input_error_message([&] { fit_annealing_law({ok}, {.lambda = 1.0}); });
  EXPECT_NE(msg.find("lambda must lie in (0, 1), or be 0 to fit it, got 1"), std::string::npos) << msg;
}

TEST(AnnealingLaw, ReadsCurvesFromAMetricsLog) {
  ScratchDir dir;
  // A trainer's metrics.jsonl: training rows carry lr and loss, validation rows neither.
  std::ofstream(dir / "metrics.jsonl") << "{\"step\":10,\"loss\":3.0,\"lr\":0.001}\n"
                                          "{\"step\":20,\"loss\":2.5,\"lr\":0.002}\n"
                                          "{\"step\":20,\"val_loss\":2.6}\n"
                                          "{\"step\":40,\"loss\":2.2,\"lr\":0.001}\n";
  const std::vector<ScheduleCurve> c = read_schedule_curves(dir / "metrics.jsonl", {});
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(c[0].lr.size(), 40u);
  EXPECT_DOUBLE_EQ(c[0].lr[4], 0.0005);   // step 5: from 0 at step 0 to 0.001 at step 10
  EXPECT_DOUBLE_EQ(c[0].lr[14], 0.0015);  // step 15
  EXPECT_DOUBLE_EQ(c[0].lr[29], 0.0015);  // step 30, between 0.002 and 0.001
  EXPECT_EQ(c[0].steps, (std::vector<int64_t>{10, 20, 40}));
  // val_loss as the loss column: the validation points.
  const std::vector<ScheduleCurve> v = read_schedule_curves(dir / "metrics.jsonl", {.loss = "val_loss"});
  EXPECT_EQ(v[0].steps, (std::vector<int64_t>{20}));
  const std::string msg = input_error_message([&] { read_schedule_curves(dir / "metrics.jsonl", {.lr = "eta"}); });
  EXPECT_NE(msg.find("missing column \"eta\" (learning rate, --lr-col)"), std::string::npos) << msg;
}

}  // namespace
}  // namespace scalelab::fit
