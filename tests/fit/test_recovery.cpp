// Synthetic recovery (the Ceres curve_fitting pattern): draw points from known parameters
// with log-normal noise, fit, and recover them; and over repeated draws the bootstrap's 90%
// percentile interval covers the truth about 90% of the time.
#include "core/rng.h"
#include "fit/approach3.h"
#include "fit/law.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <ostream>

namespace scalelab::fit {
namespace {

// A ladder design: `sizes` model sizes from 1e7 to 1e10, each trained at tokens-per-parameter
// ratios spread from 2 to 200 (as an IsoFLOP sweep would), with unique tokens U = D / 8 for
// every other point so data-constrained fits see repetition.
Observations design(int sizes, int per_size, uint64_t seed) {
  Rng rng(seed);
  Observations obs;
  for (int i = 0; i < sizes; ++i) {
    double N = std::exp(std::log(1e7) + (std::log(1e10) - std::log(1e7)) * i / (sizes - 1));
    for (int k = 0; k < per_size; ++k) {
      double ratio = std::exp(std::log(2.0) + std::log(100.0) * (k + rng.uniform()) / per_size);
      Observation o;
      o.N = N;
      o.D = N * ratio;
      o.C = 6 * o.N * o.D;
      o.U = (k % 2 == 0) ? o.D / (1 + 16 * rng.uniform()) : 0.0;
      obs.push_back(o);
    }
  }
  return obs;
}

// loss = law(params) * exp(sigma z), z ~ N(0, 1): log-normal noise, as on log-loss residuals.
Observations draw(const Law& law, const std::vector<double>& params, Observations obs, double sigma,
                  uint64_t seed) {
  Rng rng(seed);
  for (auto& o : obs) o.loss = law.predict(params, o) * std::exp(sigma * rng.normal());
  return obs;
}

struct Recovery {
  std::string law;
  LawOptions options;
  std::vector<double> truth;
  std::vector<double> rel_tol;  // per parameter, relative to truth
};

// Keeps ctest's test names readable (gtest would print the struct's bytes).
void PrintTo(const Recovery& r, std::ostream* os) { *os << r.law << "/" << r.options.variable; }

LawOptions opts(std::string variable, int breaks = 1) {
  LawOptions o;
  o.variable = std::move(variable);
  o.breaks = breaks;
  return o;
}

class RecoveryTest : public ::testing::TestWithParam<Recovery> {};

TEST_P(RecoveryTest, RecoversKnownParameters) {
  const Recovery& c = GetParam();
  auto law = make_law(c.law, c.options);
  Observations obs = draw(*law, c.truth, design(8, 8, 1), 0.002, 2);
  FitOptions opt;
  FitResult r = fit_parametric(*law, obs, opt);
  EXPECT_TRUE(r.converged) << r.message;
  for (size_t j = 0; j < c.truth.size(); ++j)
    EXPECT_NEAR(r.params[j], c.truth[j], c.rel_tol[j] * std::fabs(c.truth[j]))
        << c.law << " " << r.names[j] << " (" << r.message << ")";
  // And the fitted curve predicts fresh points of the same design to the noise level.
  Observations fresh = draw(*law, c.truth, design(8, 3, 3), 0.0, 4);
  for (const auto& o : fresh) EXPECT_NEAR(r.predict(o) / o.loss, 1.0, 0.01) << c.law;
}

INSTANTIATE_TEST_SUITE_P(
    AllLaws, RecoveryTest,
    ::testing::Values(
        Recovery{"chinchilla", {}, {1.8, 480, 2100, 0.35, 0.37}, {0.02, 0.2, 0.2, 0.03, 0.03}},
        Recovery{"power", opts("N"), {1.7, 400, 0.34}, {0.02, 0.2, 0.03}},
        Recovery{"power", opts("C"), {1.5, 80, 0.12}, {0.03, 0.3, 0.05}},
        Recovery{"kaplan", opts("N"), {8.8e13, 0.076}, {0.05, 0.02}},
        Recovery{"kaplan", opts("ND"), {8.8e13, 5.4e13, 0.076, 0.095}, {0.3, 0.3, 0.05, 0.05}},
        Recovery{"data-constrained", {}, {1.8, 480, 2100, 0.35, 0.37, 15.4}, {0.03, 0.3, 0.3, 0.05, 0.05, 0.3}},
        Recovery{"bnsl", opts("N", 1), {1.5, 30, 0.1, 0.3, 3e8, 0.5}, {0.05, 0.5, 0.3, 0.2, 0.5, 0.5}}),
    [](const ::testing::TestParamInfo<Recovery>& info) {
      std::string n = info.param.law + "_" + info.param.options.variable;
      for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(Recovery, BnslWithTwoBreaksFitsACurveThatBendsTwice) {
  LawOptions o = opts("N", 2);
  auto law = make_law("bnsl", o);
  std::vector<double> truth = {1.2, 20, 0.05, 0.25, 1e8, 0.3, 0.3, 3e9, 0.3};
  Observations obs;
  for (int i = 0; i < 60; ++i) {
    Observation x;
    x.N = std::exp(std::log(1e6) + std::log(1e5) * i / 59.0);
    obs.push_back(x);
  }
  obs = draw(*law, truth, obs, 0.001, 5);
  FitResult r = fit_parametric(*law, obs, FitOptions{});
  EXPECT_TRUE(r.converged) << r.message;
  for (const auto& x : obs) EXPECT_NEAR(r.predict(x) / law->predict(truth, x), 1.0, 0.005);
  EXPECT_NEAR(r.param("E"), 1.2, 0.1);
}

// Fraction of draws whose 90% interval holds the truth, per parameter.
std::vector<double> coverage(const std::string& name, const LawOptions& lo, const std::vector<double>& truth,
                             const Observations& base, double sigma, int draws, int boot, int max_starts) {
  auto law = make_law(name, lo);
  std::vector<double> hits(truth.size(), 0.0);
  for (int d = 0; d < draws; ++d) {
    FitOptions opt;
    opt.bootstrap = boot;
    opt.seed = 1000 + d;
    opt.max_starts = max_starts;
    opt.bootstrap_extra_starts = 0;
    FitResult r = fit_parametric(*law, draw(*law, truth, base, sigma, 77 + d), opt);
    for (size_t j = 0; j < truth.size(); ++j) {
      const auto& ci = r.ci.at(r.names[j]);
      hits[j] += (ci[0] <= truth[j] && truth[j] <= ci[1]);
    }
  }
  for (auto& h : hits) h /= draws;
  std::printf("coverage %s:", name.c_str());  // visible in the test log, for the record
  for (size_t j = 0; j < hits.size(); ++j) std::printf(" %s=%.2f", law->param_names()[j].c_str(), hits[j]);
  std::printf("\n");
  return hits;
}

TEST(Recovery, PowerLawIntervalsCoverTheTruth) {
  Observations base;
  for (int i = 0; i < 24; ++i) base.push_back(Observation{.N = std::exp(std::log(1e6) + std::log(1e4) * i / 23.0)});
  auto cov = coverage("power", opts("N"), {1.7, 400, 0.34}, base, 0.01, 100, 100, 0);
  for (size_t j = 0; j < cov.size(); ++j) {
    EXPECT_GE(cov[j], 0.75) << "param " << j;
    EXPECT_LE(cov[j], 0.98) << "param " << j;
  }
}

TEST(Recovery, ChinchillaIntervalsCoverTheTruth) {
  auto cov = coverage("chinchilla", {}, {1.8, 480, 2100, 0.35, 0.37}, design(6, 6, 8), 0.01, 100, 100, 150);
  for (size_t j = 0; j < cov.size(); ++j) {
    EXPECT_GE(cov[j], 0.75) << "param " << j;
    EXPECT_LE(cov[j], 0.98) << "param " << j;
  }
}

}  // namespace
}  // namespace scalelab::fit
