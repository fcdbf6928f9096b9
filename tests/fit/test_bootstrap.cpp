// Bootstrap resampling: weights are counts that sum to the data size, whole runs move
// together, draws are seeded and reproducible, and the summary covers derived quantities.
#include "core/rng.h"
#include "fit/approach3.h"
#include "fit/bootstrap.h"
#include "fit/law.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace scalelab::fit {
namespace {

Observations points(int n, int runs) {
  Observations obs;
  for (int i = 0; i < n; ++i) {
    Observation o;
    o.N = 1e7 * (1 + i);
    o.D = 1e9 * (1 + (i * 7) % 5);
    o.loss = 3.0;
    if (runs > 0) o.run = "run" + std::to_string(i % runs);
    obs.push_back(o);
  }
  return obs;
}

TEST(Bootstrap, PointWeightsAreCountsSummingToTheSize) {
  Points pts = Points::from(points(50, 0));
  for (uint64_t d = 0; d < 20; ++d) {
    auto w = bootstrap_weights(pts, 3, d);
    double sum = 0;
    for (double v : w) {
      EXPECT_EQ(v, std::floor(v));
      EXPECT_GE(v, 0);
      sum += v;
    }
    EXPECT_EQ(sum, 50);
  }
  EXPECT_EQ(bootstrap_weights(pts, 3, 4), bootstrap_weights(pts, 3, 4));
  EXPECT_NE(bootstrap_weights(pts, 3, 4), bootstrap_weights(pts, 3, 5));
  EXPECT_NE(bootstrap_weights(pts, 3, 4), bootstrap_weights(pts, 4, 4));
}

TEST(Bootstrap, PointsOfOneRunAreDrawnTogether) {
  Observations obs = points(60, 6);  // 6 runs of 10 points
  Points pts = Points::from(obs);
  for (uint64_t d = 0; d < 20; ++d) {
    auto w = bootstrap_weights(pts, 1, d);
    std::map<std::string, double> per_run;
    double total = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      auto [it, fresh] = per_run.emplace(obs[i].run, w[i]);
      if (!fresh) {
        EXPECT_EQ(it->second, w[i]) << "run " << obs[i].run;
      }
      total += w[i];
    }
    EXPECT_EQ(total, 60);  // 6 runs drawn, 10 points each
  }
}

TEST(Bootstrap, OneRunFallsBackToPoints) {
  Points pts = Points::from(points(30, 1));
  bool varied = false;
  for (uint64_t d = 0; d < 5; ++d) {
    auto w = bootstrap_weights(pts, 1, d);
    for (double v : w) varied = varied || v != w[0];
  }
  EXPECT_TRUE(varied);
}

TEST(Bootstrap, SummaryHasEveryParameterAndDerivedQuantity) {
  auto law = make_law("chinchilla");
  FitResult r;
  r.names = law->param_names();
  r.ci_level = 0.9;
  Rng rng(5);
  for (int k = 0; k < 500; ++k)
    r.samples.push_back({1.8 + 0.02 * rng.normal(), 480 * std::exp(0.1 * rng.normal()),
                         2100 * std::exp(0.1 * rng.normal()), 0.35 + 0.01 * rng.normal(),
                         0.37 + 0.01 * rng.normal()});
  r.samples.push_back({std::nan(""), 1, 1, 1, 1});  // a failed refit is left out
  summarise_samples(*law, r);
  for (const char* k : {"E", "A", "B", "alpha", "beta", "a", "b", "G"}) EXPECT_TRUE(r.ci.count(k)) << k;
  EXPECT_NEAR(r.se["E"], 0.02, 0.003);
  EXPECT_NEAR(r.se["alpha"], 0.01, 0.0015);
  // 90% normal interval: +-1.645 sd.
  EXPECT_NEAR(r.ci["E"][1] - r.ci["E"][0], 2 * 1.645 * 0.02, 0.01);
}

TEST(Bootstrap, RunResamplingWidensIntervalsForCorrelatedCurves) {
  // Each run's points share one offset (a run-level error): resampling points pretends the
  // points are independent and understates the uncertainty; resampling runs does not.
  auto law = make_law("power");
  std::vector<double> truth = {1.7, 400, 0.34};
  Rng rng(21);
  Observations obs;
  for (int r = 0; r < 12; ++r) {
    double offset = 0.02 * rng.normal();
    for (int k = 0; k < 10; ++k) {
      Observation o;
      o.N = std::exp(std::log(1e6) + std::log(1e4) * (r + 0.1 * k) / 12.0);
      o.loss = law->predict(truth, o) * std::exp(offset + 0.002 * rng.normal());
      o.run = "r" + std::to_string(r);
      obs.push_back(o);
    }
  }
  FitOptions opt;
  opt.bootstrap = 200;
  opt.seed = 3;
  FitResult by_run = fit_parametric(*law, obs, opt);
  for (auto& o : obs) o.run.clear();
  FitResult by_point = fit_parametric(*law, obs, opt);
  EXPECT_GT(by_run.se.at("alpha"), 1.5 * by_point.se.at("alpha"));
}

}  // namespace
}  // namespace scalelab::fit
