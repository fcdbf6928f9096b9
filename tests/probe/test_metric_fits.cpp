// Metric-vs-scale fits (probe/metric_fits.h): recover known parameters from exact and
// noisy synthetic data, tell a step from a ramp, and refuse bad input without throwing.
#include "probe/metric_fits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/rng.h"

namespace scalelab::probe {
namespace {

// n points log-spaced from 10^lo to 10^hi.
std::vector<double> logspace(double lo, double hi, int n) {
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = std::pow(10.0, lo + (hi - lo) * i / (n - 1));
  return x;
}

double sigmoid(const std::vector<double>& p, double x) {
  return p[0] + (p[1] - p[0]) / (1 + std::exp(-(std::log10(x) - p[2]) / p[3]));
}

double bnsl(const std::vector<double>& p, double x) {
  return p[0] + p[1] * std::pow(x, -p[2]) * std::pow(1 + std::pow(x / p[4], 1 / p[5]), -p[3] * p[5]);
}

TEST(FitSigmoid, RecoversExactParameters) {
  const std::vector<double> truth = {0.02, 0.9, 8.5, 0.3};  // lo, hi, x0 (log10), w (decades)
  const auto x = logspace(5, 12, 29);
  std::vector<double> y;
  for (double v : x) y.push_back(sigmoid(truth, v));
  const CurveFit f = fit_sigmoid(x, y);
  ASSERT_TRUE(f.ok) << f.message;
  EXPECT_EQ(f.model, "sigmoid");
  EXPECT_EQ(f.names, (std::vector<std::string>{"lo", "hi", "x0", "w"}));
  for (size_t i = 0; i < truth.size(); ++i) EXPECT_NEAR(f.params[i], truth[i], 1e-5) << f.names[i];
  EXPECT_LT(f.rss, 1e-12);
  EXPECT_GT(f.r2, 1 - 1e-10);
  EXPECT_NEAR(predict(f, 3e10), sigmoid(truth, 3e10), 1e-6);
  EXPECT_NEAR(transition_decades(f), 2 * std::log(9.0) * 0.3, 1e-4);

  // A decreasing metric (an error) is the same curve with hi < lo.
  std::vector<double> err;
  for (double v : y) err.push_back(1 - v);
  const CurveFit e = fit_sigmoid(x, err);
  ASSERT_TRUE(e.ok) << e.message;
  EXPECT_NEAR(e.params[0], 0.98, 1e-5);
  EXPECT_NEAR(e.params[1], 0.1, 1e-5);
  EXPECT_NEAR(e.params[2], 8.5, 1e-5);
  EXPECT_NEAR(e.params[3], 0.3, 1e-5);
}

TEST(FitSigmoid, RecoversParametersFromNoisyData) {
  const std::vector<double> truth = {0.05, 0.8, 9.0, 0.4};
  const auto x = logspace(6, 12, 31);
  Rng rng(17);
  std::vector<double> y;
  for (double v : x) y.push_back(sigmoid(truth, v) + 0.01 * rng.normal());
  const CurveFit f = fit_sigmoid(x, y);
  ASSERT_TRUE(f.ok) << f.message;
  EXPECT_NEAR(f.params[0], truth[0], 0.02);
  EXPECT_NEAR(f.params[1], truth[1], 0.02);
  EXPECT_NEAR(f.params[2], truth[2], 0.05);
  EXPECT_NEAR(f.params[3], truth[3], 0.05);
  EXPECT_GT(f.r2, 0.99);
  // The residual is about the noise: rss ~ n sigma^2 = 31e-4.
  EXPECT_LT(f.rss, 31 * 1e-4 * 2);
  EXPECT_GT(f.rss, 31 * 1e-4 / 3);
}

TEST(FitSigmoid, StepIsSharpAndRampIsWide) {
  const auto x = logspace(5, 11, 13);  // every half decade
  std::vector<double> step, ramp;
  for (double v : x) {
    step.push_back(v < 1e8 ? 0.0 : 1.0);
    ramp.push_back((std::log10(v) - 5) / 6);
  }
  const CurveFit s = fit_sigmoid(x, step);
  ASSERT_TRUE(s.ok) << s.message;
  EXPECT_LT(transition_decades(s), 0.1);  // far below the half-decade spacing
  EXPECT_GT(s.params[2], 7.5);            // the midpoint lies between 10^7.5 and 10^8
  EXPECT_LT(s.params[2], 8.0);
  EXPECT_LT(s.rss, 1e-6);
  EXPECT_DOUBLE_EQ(largest_jump_fraction(x, step), 1.0);

  const CurveFit r = fit_sigmoid(x, ramp);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_GT(transition_decades(r), 6.0);  // wider than the whole 6-decade range
  EXPECT_GT(r.r2, 0.99);
  EXPECT_NEAR(largest_jump_fraction(x, ramp), 1.0 / 12, 1e-12);
}

TEST(FitBnsl, RecoversExactParameters) {
  // a, b, c0, c1, d, f: slope -0.1 bending to -0.9 around x = 1e9.
  const std::vector<double> truth = {0.05, 3.0, 0.1, 0.8, 1e9, 0.2};
  const auto x = logspace(6, 12, 25);
  std::vector<double> y;
  for (double v : x) y.push_back(bnsl(truth, v));
  const CurveFit f = fit_bnsl(x, y);
  ASSERT_TRUE(f.ok) << f.message;
  EXPECT_EQ(f.names, (std::vector<std::string>{"a", "b", "c0", "c1", "d", "f"}));
  EXPECT_NEAR(f.params[0], truth[0], 1e-4);
  EXPECT_NEAR(f.params[1], truth[1], 3e-3 * truth[1]);
  EXPECT_NEAR(f.params[2], truth[2], 1e-3);
  EXPECT_NEAR(f.params[3], truth[3], 1e-3);
  EXPECT_NEAR(std::log(f.params[4]), std::log(truth[4]), 1e-2);
  EXPECT_NEAR(f.params[5], truth[5], 1e-3);
  EXPECT_GT(f.r2, 1 - 1e-9);
  for (double v : {2e6, 5e8, 3e11}) EXPECT_NEAR(predict(f, v), bnsl(truth, v), 1e-5 * bnsl(truth, v));
}

TEST(FitBnsl, FitsNoisyDataAndLargeScales) {
  // x in FLOPs (1e15 .. 1e21): the fit must not care about the units.
  const std::vector<double> truth = {0.1, 40.0, 0.05, 0.6, 1e18, 0.3};
  const auto x = logspace(15, 21, 25);
  Rng rng(5);
  std::vector<double> y;
  for (double v : x) y.push_back(bnsl(truth, v) * (1 + 0.005 * rng.normal()));
  const CurveFit f = fit_bnsl(x, y);
  ASSERT_TRUE(f.ok) << f.message;
  EXPECT_GT(f.r2, 0.995);
  EXPECT_NEAR(f.params[3], truth[3], 0.15);
  EXPECT_NEAR(std::log10(f.params[4]), 18, 0.5);
  for (double v : {1e16, 1e18, 1e20}) EXPECT_NEAR(predict(f, v) / bnsl(truth, v), 1, 0.03);
}

TEST(MetricFits, BadInputIsNotOkAndDoesNotThrow) {
  const std::vector<double> x3 = {1e6, 1e7, 1e8}, y3 = {0, 0.5, 1};
  CurveFit f = fit_sigmoid(x3, y3);
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.message.find("too few points"), std::string::npos) << f.message;
  EXPECT_TRUE(std::isnan(predict(f, 1e7)));
  EXPECT_TRUE(std::isnan(transition_decades(f)));

  const auto x = logspace(6, 11, 6);
  f = fit_bnsl(std::vector<double>(x.begin(), x.begin() + 5), std::vector<double>(5, 1.0));
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.message.find("too few points"), std::string::npos) << f.message;

  std::vector<double> y = {1, 0.8, 0.6, 0.5, 0.45, 0.4}, xbad = x;
  xbad[2] = 0;
  f = fit_bnsl(xbad, y);
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.message.find("x[2]"), std::string::npos) << f.message;
  y[4] = std::numeric_limits<double>::quiet_NaN();
  f = fit_sigmoid(x, y);
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.message.find("y[4]"), std::string::npos) << f.message;
  f = fit_sigmoid(x, std::vector<double>(6, 0.0));  // nothing emerges: flat at 0
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.message.find("constant"), std::string::npos) << f.message;
  f = fit_sigmoid(std::vector<double>(6, 1e8), std::vector<double>{0, 1, 0, 1, 0, 1});
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.message.find("distinct"), std::string::npos) << f.message;
  f = fit_sigmoid(x, std::vector<double>{1, 2});
  EXPECT_FALSE(f.ok);
  // A sigmoid fit is not a BNSL and vice versa.
  const std::vector<double> falling = {1, 0.8, 0.6, 0.5, 0.45, 0.4};
  const CurveFit b = fit_bnsl(x, falling);
  EXPECT_TRUE(b.ok) << b.message;
  EXPECT_TRUE(std::isnan(transition_decades(b)));
}

TEST(LargestJumpFraction, FollowsTheDirectionOfChangeAndAveragesTies) {
  // Unsorted input; a drop for a decreasing metric.
  EXPECT_DOUBLE_EQ(largest_jump_fraction(std::vector<double>{3, 1, 2, 4},
                                         std::vector<double>{0.5, 1.0, 0.9, 0.0}),
                   0.5);  // sorted: 1, 0.9, 0.5, 0 -> largest drop 0.5 of range 1
  // A rise of 0.6 out of range 0.8 with a dip in between.
  EXPECT_NEAR(largest_jump_fraction(std::vector<double>{1, 2, 3, 4},
                                    std::vector<double>{0.1, 0.0, 0.6, 0.8}),
              0.75, 1e-12);
  // Two seeds at x = 2 average to 0.5.
  EXPECT_NEAR(largest_jump_fraction(std::vector<double>{1, 2, 2, 3},
                                    std::vector<double>{0.0, 0.4, 0.6, 1.0}),
              0.5, 1e-12);
  EXPECT_TRUE(std::isnan(largest_jump_fraction(std::vector<double>{1, 2, 3},
                                               std::vector<double>{0.2, 0.2, 0.2})));
  EXPECT_TRUE(std::isnan(largest_jump_fraction(std::vector<double>{1, 1},
                                               std::vector<double>{0.0, 1.0})));
}

}  // namespace
}  // namespace scalelab::probe
