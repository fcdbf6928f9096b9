// The design check (design_check.h): its predicted precision matches the spread of real
// fits of simulated ladders, a design that cannot separate the terms is reported as not
// identifying them, and forecasts grow less certain the further they extrapolate.
#include "fit/design_check.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "fit/approach3.h"
#include "fit_testing.h"

namespace scalelab::fit {
namespace {

using testing::input_error_message;

// Sizes x budgets, log-spaced: N from 1e4 up `n_decades`, D from 1e6 up `d_decades`.
Observations grid(int sizes, double n_decades, int budgets, double d_decades) {
  Observations out;
  for (int i = 0; i < sizes; ++i)
    for (int j = 0; j < budgets; ++j) {
      Observation o;
      o.N = 1e4 * std::pow(10.0, n_decades * i / std::max(1, sizes - 1));
      o.D = 1e6 * std::pow(10.0, d_decades * j / std::max(1, budgets - 1));
      o.C = 6 * o.N * o.D;
      o.run = fmt::format("n{}-d{}", i, j);
      out.push_back(o);
    }
  return out;
}

// Fits of simulated ladders (the prior world times log-normal noise) spread as the Fisher
// information says: the sample standard deviation of each exponent and of log E within a
// factor of 1.35 of the predicted standard error, at a noise small enough for the first
// order to hold (0.2% of the loss; at 1% E's spread is already twice the prediction). Least squares (a wide Huber threshold),
// as the check assumes.
TEST(DesignCheck, PredictedPrecisionMatchesTheSpreadOfRealFits) {
  const auto law = make_law("chinchilla");
  const Observations design = grid(5, 1.5, 3, 1.0);
  const DesignPrior prior = chinchilla_prior(design);
  const double noise = 0.002;
  const DesignCheck c = check_design_precision(*law, prior.params, design, {}, noise);
  ASSERT_EQ(c.params.size(), 5u);
  ASSERT_TRUE(std::isfinite(c.condition));

  Rng rng(7);
  FitOptions opt;
  opt.huber_delta = 1.0;
  opt.max_starts = 40;
  opt.threads = 1;
  constexpr int kReplicates = 40;
  std::vector<double> sum(5, 0.0), sum2(5, 0.0);
  for (int r = 0; r < kReplicates; ++r) {
    Observations obs = design;
    for (Observation& o : obs) o.loss = law->predict(prior.params, o) * std::exp(noise * rng.normal());
    const FitResult f = fit_parametric(*law, obs, opt);
    // Fit space: log E, log A, log B, alpha, beta.
    const std::vector<double> t = {std::log(f.params[0]), std::log(f.params[1]), std::log(f.params[2]), f.params[3],
                                   f.params[4]};
    for (int j = 0; j < 5; ++j) sum[j] += t[j], sum2[j] += t[j] * t[j];
  }
  for (int j : {0, 3, 4}) {  // E, alpha, beta
    const double mean = sum[j] / kReplicates;
    const double sd = std::sqrt((sum2[j] - kReplicates * mean * mean) / (kReplicates - 1));
    const ParamPrecision& p = c.params[j];
    // Back from the 90% half-width to the standard error in fit space.
    const double se = j == 0 ? std::log1p(p.half_width) / 1.6448536269514722 : p.half_width * p.value / 1.6448536269514722;
    EXPECT_GT(sd / se, 1 / 1.35) << p.name << ": simulated sd " << sd << ", predicted se " << se;
    EXPECT_LT(sd / se, 1.35) << p.name << ": simulated sd " << sd << ", predicted se " << se;
  }
}

// One token budget for every size: E and B/D^beta are one constant, and the D exponent
// cannot be seen. The N side stays determined.
TEST(DesignCheck, OneBudgetLeavesEAndTheDataTermUnidentified) {
  const auto law = make_law("chinchilla");
  const Observations design = grid(6, 1.5, 1, 0.0);
  const DesignCheck c = check_design_precision(*law, chinchilla_prior(design).params, design, {}, 0.01);
  EXPECT_TRUE(std::isinf(c.condition)) << c.condition;
  for (const ParamPrecision& p : c.params) {
    if (p.name == "A" || p.name == "alpha")
      EXPECT_TRUE(std::isfinite(p.half_width)) << p.name << " " << p.half_width;
    else
      EXPECT_TRUE(std::isinf(p.half_width)) << p.name << " " << p.half_width;
  }
  // Two budgets give two equations for E, B and beta at each size: still not identified.
  EXPECT_TRUE(std::isinf(check_design_precision(*law, chinchilla_prior(grid(6, 1.5, 2, 1.0)).params,
                                                grid(6, 1.5, 2, 1.0), {}, 0.01).params[4].half_width));
  // Three budgets do; spread wider, they pin beta down further.
  const double narrow = check_design_precision(*law, chinchilla_prior(grid(6, 1.5, 3, 0.3)).params,
                                               grid(6, 1.5, 3, 0.3), {}, 0.01).params[4].half_width;
  const double wide = check_design_precision(*law, chinchilla_prior(grid(6, 1.5, 3, 1.0)).params,
                                             grid(6, 1.5, 3, 1.0), {}, 0.01).params[4].half_width;
  EXPECT_TRUE(std::isfinite(narrow));
  EXPECT_LT(wide, narrow / 2);
}

TEST(DesignCheck, ForecastsFartherOutAreLessCertain) {
  const auto law = make_law("chinchilla");
  const Observations design = grid(5, 1.5, 3, 1.0);
  const DesignPrior prior = chinchilla_prior(design);
  Observations targets(2);
  targets[0] = {.N = 6e5, .D = 2e7, .run = "near"};
  targets[1] = {.N = 3e7, .D = 1e9, .run = "far"};
  const DesignCheck c = check_design_precision(*law, prior.params, design, targets, 0.01);
  ASSERT_EQ(c.forecasts.size(), 2u);
  EXPECT_EQ(c.forecasts[0].name, "near");
  Observation near = targets[0];
  near.C = 6 * near.N * near.D;
  EXPECT_DOUBLE_EQ(c.forecasts[0].value, law->predict(prior.params, near));
  EXPECT_GT(c.forecasts[0].half_width, 0);
  EXPECT_GT(c.forecasts[1].half_width, c.forecasts[0].half_width);
  // Half the noise, half the width: the widths are linear in sigma to first order.
  const DesignCheck half = check_design_precision(*law, prior.params, design, targets, 0.005);
  EXPECT_NEAR(half.forecasts[0].half_width / c.forecasts[0].half_width, 0.5, 0.01);
}

TEST(DesignCheck, BadInput) {
  const auto law = make_law("chinchilla");
  const Observations few = grid(2, 1.0, 2, 1.0);
  std::string msg = input_error_message([&] { check_design_precision(*law, {1, 1, 1, 0.3, 0.3}, few, {}, 0.01); });
  EXPECT_NE(msg.find("4 runs cannot determine the 5 parameters of chinchilla"), std::string::npos) << msg;
  msg = input_error_message([&] { check_design_precision(*law, {1, 1, 1, 0.3, 0.3}, grid(3, 1, 3, 1), {}, 0); });
  EXPECT_NE(msg.find("noise must be > 0"), std::string::npos) << msg;
}

}  // namespace
}  // namespace scalelab::fit
