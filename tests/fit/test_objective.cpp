// Objective and solver: the fused Chinchilla and power objectives (Highway vectors) against
// the generic per-point loop on every SIMD path this machine runs, objective gradients against finite
// differences, and L-BFGS on problems with known minima.
#include "core/rng.h"
#include "core/simd_path.h"
#include "fit/law.h"
#include "fit/law_math.h"
#include "fit/objective.h"
#include "fit/solver.h"

#include <gtest/gtest.h>

#include <cmath>

namespace scalelab::fit {
namespace {

TEST(LawMath, HuberIsContinuousWithItsSlope) {
  const double d = 1e-3;
  EXPECT_DOUBLE_EQ(huber(0.5e-3, d), 0.5 * 0.25e-6);
  EXPECT_DOUBLE_EQ(huber(-2e-3, d), d * (2e-3 - 0.5 * d));
  EXPECT_NEAR(huber(d * (1 + 1e-12), d), huber(d * (1 - 1e-12), d), 1e-17);  // slope d times 2e-15
  EXPECT_EQ(huber_slope(5.0, d), d);
  EXPECT_EQ(huber_slope(-5.0, d), -d);
  EXPECT_EQ(huber_slope(1e-4, d), 1e-4);
}

// Points near a Chinchilla surface, so residuals straddle the Huber threshold.
Points chinchilla_like(uint64_t seed, int n) {
  Rng rng(seed);
  auto law = make_law("chinchilla");
  std::vector<double> p = {1.8, 480, 2100, 0.35, 0.37};
  Observations obs;
  for (int i = 0; i < n; ++i) {
    Observation o;
    o.N = std::exp(std::log(5e7) + rng.uniform() * std::log(300.0));
    o.D = std::exp(std::log(1e9) + rng.uniform() * std::log(300.0));
    o.C = 6 * o.N * o.D;
    o.loss = law->predict(p, o) * std::exp(0.004 * rng.normal());
    obs.push_back(o);
  }
  return Points::from(obs);
}

// The fused loops on one SIMD path (core/simd_path.h), then back to the best.
class FusedObjective : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { simd::pin_path(GetParam()); }
  void TearDown() override { simd::pin_path("auto"); }
};

TEST_P(FusedObjective, ChinchillaMatchesGenericLoop) {
  auto law = make_law("chinchilla");
  Points pts = chinchilla_like(3, 37);  // odd size: exercises the SIMD remainder
  Rng rng(4);
  std::vector<double> w(pts.size());
  for (auto& v : w) v = static_cast<double>(rng.below(3));
  for (auto theta : std::vector<std::vector<double>>{
           {0.59, 6.17, 7.67, 0.347, 0.367}, {-1, 25, 0, 0, 2}, {1, 0, 25, 2, 0}, {0.2, 5, 5, 0.5, 0.5}}) {
    std::vector<double> g1(5), g2(5);
    double f1 = chinchilla_objective(theta, pts, w, 1e-3, g1);
    double f2 = generic_objective(*law, theta, pts, w, 1e-3, g2);
    EXPECT_NEAR(f1, f2, 1e-12 * std::max(1.0, std::fabs(f2)));
    for (int j = 0; j < 5; ++j) EXPECT_NEAR(g1[j], g2[j], 1e-11 * std::max(1.0, std::fabs(g2[j])));
  }
}

TEST_P(FusedObjective, PowerMatchesGenericLoop) {
  LawOptions o;
  o.variable = "D";
  auto law = make_law("power", o);
  Points pts = chinchilla_like(5, 29);
  std::vector<double> w(pts.size(), 1.0), g1(3), g2(3);
  std::vector<double> theta = {0.5, 7.0, 0.3};
  double f1 = law->objective(theta, pts, w, 1e-3, g1);
  double f2 = generic_objective(*law, theta, pts, w, 1e-3, g2);
  EXPECT_NEAR(f1, f2, 1e-12);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(g1[j], g2[j], 1e-11 * std::max(1.0, std::fabs(g2[j])));
}

INSTANTIATE_TEST_SUITE_P(Simd, FusedObjective, ::testing::ValuesIn(simd::available_paths()),
                         [](const auto& info) { return info.param; });

TEST(Objective, GradientMatchesFiniteDifferences) {
  auto law = make_law("chinchilla");
  Points pts = chinchilla_like(6, 50);
  std::vector<double> w(pts.size(), 1.0);
  // A wide delta keeps every residual on one side of the kink so differences are smooth.
  const double delta = 10.0;
  std::vector<double> theta = {0.4, 6.0, 7.5, 0.33, 0.36}, g(5), s(5);
  law->objective(theta, pts, w, delta, g);
  for (int j = 0; j < 5; ++j) {
    auto hi = theta, lo = theta;
    hi[j] += 1e-6;
    lo[j] -= 1e-6;
    double fd = (law->objective(hi, pts, w, delta, s) - law->objective(lo, pts, w, delta, s)) / 2e-6;
    EXPECT_NEAR(g[j], fd, 1e-6 * std::max(1.0, std::fabs(fd))) << "theta " << j;
  }
}

TEST(Objective, WeightsActAsRepeatedPoints) {
  auto law = make_law("chinchilla");
  Points pts = chinchilla_like(7, 10);
  std::vector<double> w(10, 0.0), g(5), g2(5);
  w[2] = 3;
  Observations three(3, pts.at(2));
  Points rep = Points::from(three);
  std::vector<double> ones(3, 1.0), theta = {0.5, 6, 7, 0.3, 0.3};
  EXPECT_NEAR(law->objective(theta, pts, w, 1e-3, g), law->objective(theta, rep, ones, 1e-3, g2), 1e-15);
}

// Rosenbrock's function (1960) with its gradient: minimum 0 at (1, 1), a curved valley.
double rosenbrock(std::span<const double> x, std::span<double> g) {
  double a = 1 - x[0], b = x[1] - x[0] * x[0];
  g[0] = -2 * a - 400 * x[0] * b;
  g[1] = 200 * b;
  return a * a + 100 * b * b;
}

TEST(Solver, LbfgsFindsTheRosenbrockMinimum) {
  std::vector<double> x = {-1.2, 1.0};
  SolverOptions opt;
  opt.function_tolerance = 0;
  SolverSummary s = minimize_lbfgs(rosenbrock, x, opt);
  EXPECT_TRUE(s.converged()) << s.message();
  EXPECT_EQ(s.status, SolverStatus::kGradientTolerance);
  EXPECT_NEAR(x[0], 1.0, 1e-6);
  EXPECT_NEAR(x[1], 1.0, 1e-6);
  EXPECT_LT(s.iterations, 100);
}

TEST(Solver, IllConditionedQuadratic) {
  // f = sum_i 10^i (x_i - i)^2 over 6 coordinates: condition number 1e5.
  auto quad = [](std::span<const double> x, std::span<double> g) {
    double f = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      double c = std::pow(10.0, static_cast<double>(i));
      f += c * (x[i] - i) * (x[i] - i);
      g[i] = 2 * c * (x[i] - i);
    }
    return f;
  };
  std::vector<double> x(6, 5.0);
  SolverOptions opt;
  opt.function_tolerance = 0;
  SolverSummary s = minimize_lbfgs(quad, x, opt);
  EXPECT_TRUE(s.converged()) << s.message();
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(x[i], static_cast<double>(i), 1e-6);
}

TEST(Solver, NonFiniteStartIsReportedNotHidden) {
  auto bad = [](std::span<const double>, std::span<double> g) {
    g[0] = 0;
    return std::nan("");
  };
  std::vector<double> x = {0.0};
  SolverSummary s = minimize_lbfgs(bad, x, SolverOptions{});
  EXPECT_EQ(s.status, SolverStatus::kNonFinite);
  EXPECT_FALSE(s.converged());
}

TEST(Solver, ReportsTheIterationLimit) {
  std::vector<double> x = {-1.2, 1.0};
  SolverOptions opt;
  opt.max_iterations = 3;
  SolverSummary s = minimize_lbfgs(rosenbrock, x, opt);
  EXPECT_EQ(s.status, SolverStatus::kMaxIterations);
  EXPECT_LT(s.final_cost, s.initial_cost);
}

}  // namespace
}  // namespace scalelab::fit
