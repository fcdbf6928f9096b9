// Spearman's rank correlation and the trend words the probes' sentences use: known
// values computed by hand (d^2 formula without ties, Pearson of mean ranks with ties),
// the NaN cases (< 3 points, a constant series, unequal lengths) and the +-0.6 thresholds,
// so a sentence says "rises with N" only when the ranks do.
#include "probe/trend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace scalelab::probe {
namespace {

TEST(Spearman, MonotoneSeriesGivePlusOrMinusOne) {
  const std::vector<double> x = {1, 2, 3, 4, 5, 6};
  std::vector<double> cube, down;
  for (double v : x) cube.push_back(v * v * v), down.push_back(-std::exp(v));
  EXPECT_DOUBLE_EQ(spearman(x, cube), 1.0);  // non-linear but monotone: ranks agree exactly
  EXPECT_DOUBLE_EQ(spearman(x, down), -1.0);
}

TEST(Spearman, KnownValueWithoutTies) {
  // d = rank differences {1, 1, 1, 1, 0}: rho = 1 - 6 * 4 / (5 * (25 - 1)) = 0.8.
  const std::vector<double> x = {10, 20, 30, 40, 50};
  const std::vector<double> y = {2, 1, 4, 3, 5};
  EXPECT_NEAR(spearman(x, y), 0.8, 1e-12);
  EXPECT_NEAR(spearman(y, x), 0.8, 1e-12);  // symmetric
  // Order of the points does not matter, only their pairing.
  const std::vector<double> xs = {50, 10, 40, 30, 20};
  const std::vector<double> ys = {5, 2, 3, 4, 1};
  EXPECT_NEAR(spearman(xs, ys), 0.8, 1e-12);
}

TEST(Spearman, TiesGetTheirMeanRank) {
  // x ranks {1, 2.5, 2.5, 4}, y ranks {1, 2, 3, 4}; deviations from the mean 2.5:
  // sxy = 2.25 + 0 + 0 + 2.25 = 4.5, sxx = 4.5, syy = 5  ->  rho = 4.5 / sqrt(22.5).
  const std::vector<double> x = {1, 2, 2, 3};
  const std::vector<double> y = {1, 2, 3, 4};
  EXPECT_NEAR(spearman(x, y), 4.5 / std::sqrt(22.5), 1e-12);
  // Three-way tie in y: ranks {2, 2, 2, 4, 5} against x ranks 1..5.
  // dx = {-2, -1, 0, 1, 2}, dy = {-1, -1, -1, 1, 2}: sxy = 2 + 1 + 0 + 1 + 4 = 8,
  // sxx = 10, syy = 1 + 1 + 1 + 1 + 4 = 8  ->  rho = 8 / sqrt(80).
  const std::vector<double> x5 = {1, 2, 3, 4, 5};
  const std::vector<double> y5 = {7, 7, 7, 8, 9};
  EXPECT_NEAR(spearman(x5, y5), 8 / std::sqrt(80.0), 1e-12);
}

TEST(Spearman, UndefinedCasesAreNaN) {
  const std::vector<double> two = {1, 2};
  EXPECT_TRUE(std::isnan(spearman(two, two)));
  const std::vector<double> none;
  EXPECT_TRUE(std::isnan(spearman(none, none)));
  const std::vector<double> x = {1, 2, 3, 4};
  const std::vector<double> flat = {0.5, 0.5, 0.5, 0.5};
  EXPECT_TRUE(std::isnan(spearman(x, flat)));
  EXPECT_TRUE(std::isnan(spearman(flat, x)));
  const std::vector<double> three = {1, 2, 3};
  EXPECT_TRUE(std::isnan(spearman(x, three)));  // unequal lengths
  // Exactly three points are enough.
  EXPECT_DOUBLE_EQ(spearman(three, three), 1.0);
}

TEST(TrendWord, ThresholdsAtPlusMinusPointSix) {
  EXPECT_EQ(trend_word(1.0, "rises", "falls"), "rises");
  EXPECT_EQ(trend_word(0.6, "rises", "falls"), "rises");
  EXPECT_EQ(trend_word(0.5999, "rises", "falls"), "shows no clear trend");
  EXPECT_EQ(trend_word(0.0, "rises", "falls"), "shows no clear trend");
  EXPECT_EQ(trend_word(-0.5999, "rises", "falls"), "shows no clear trend");
  EXPECT_EQ(trend_word(-0.6, "rises", "falls"), "falls");
  EXPECT_EQ(trend_word(-1.0, "up", "down"), "down");
  // An undefined correlation never claims a trend.
  EXPECT_EQ(trend_word(std::numeric_limits<double>::quiet_NaN(), "rises", "falls"), "shows no clear trend");
}

TEST(TrendWord, SpearmanOfRealisticProbeSeries) {
  // Accuracy against N: rising with one dip still counts as a rise (rho = 0.9).
  const std::vector<double> n = {1e4, 3e4, 1e5, 3e5, 1e6};
  const std::vector<double> acc = {0.01, 0.03, 0.02, 0.4, 0.9};
  const double rho = spearman(n, acc);
  EXPECT_NEAR(rho, 0.9, 1e-12);  // d = {0, 1, 1, 0, 0}: 1 - 6 * 2 / 120
  EXPECT_EQ(trend_word(rho, "rises", "falls"), "rises");
  // A zig-zag has no trend: ranks {1, 5, 2, 4, 3} -> d^2 = 0 + 9 + 1 + 0 + 4 = 14, rho = 0.3.
  const std::vector<double> zig = {0.1, 0.9, 0.2, 0.8, 0.5};
  EXPECT_NEAR(spearman(n, zig), 0.3, 1e-12);
  EXPECT_EQ(trend_word(spearman(n, zig), "rises", "falls"), "shows no clear trend");
}

}  // namespace
}  // namespace scalelab::probe
