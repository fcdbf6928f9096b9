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

// For the data-constrained law (Muennighoff et al. 2023): six sizes from 1e7 to 1e10, three
// tokens-per-parameter ratios (5, 20, 80) and four epoch counts (1, 4, 16, 64). With few
// unique tokens many models exceed N_opt(U_D) by 1 to ~300 times, which identifies R*_N;
// the epochs identify R*_D.
Observations repetition_design(int sizes) {
  Observations obs;
  for (int i = 0; i < sizes; ++i) {
    double N = 1e7 * std::pow(1e3, static_cast<double>(i) / (sizes - 1));
    for (double ratio : {5.0, 20.0, 80.0})
      for (double epochs : {1.0, 4.0, 16.0, 64.0}) {
        Observation o{.N = N, .D = ratio * N};
        o.C = 6 * o.N * o.D;
        o.U = o.D / epochs;
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
        Recovery{"data-constrained", {}, {1.8, 480, 2100, 0.35, 0.37, 15.4, 5.3},
                 {0.03, 0.3, 0.3, 0.05, 0.05, 0.3, 0.3}},
        Recovery{"bnsl", opts("N", 1), {1.5, 30, 0.1, 0.3, 3e8, 0.5}, {0.05, 0.5, 0.3, 0.2, 0.5, 0.5}},
        Recovery{"overtrain", {}, {1.8, 210, 370, 0.14}, {0.02, 0.2, 0.2, 0.03}}),
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

TEST(Recovery, DataConstrainedRecoversBothDecayConstants) {
  // R*_D = 15.4 and R*_N = 5.3 (Muennighoff et al. 2023) with the Chinchilla part.
  auto law = make_law("data-constrained");
  std::vector<double> truth = {1.8, 480, 2100, 0.35, 0.37, 15.4, 5.3};
  Observations obs = draw(*law, truth, repetition_design(6), 0.003, 11);
  FitOptions opt;
  opt.max_starts = 400;
  FitResult r = fit_parametric(*law, obs, opt);
  EXPECT_TRUE(r.converged) << r.message;
  const std::vector<double> tol = {0.02, 0.3, 0.3, 0.05, 0.05, 0.25, 0.25};
  for (size_t j = 0; j < truth.size(); ++j) {
    EXPECT_NEAR(r.params[j], truth[j], tol[j] * truth[j]) << r.names[j];
    std::printf("recovery data-constrained %s = %.4g (truth %.4g, rel err %+.3f)\n", r.names[j].c_str(),
                r.params[j], truth[j], r.params[j] / truth[j] - 1);
  }
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

// The other laws, at 60 draws x 60 resamples each (a binomial proportion over 60 draws has
// a standard deviation of ~0.04 at 0.9, so the band 0.70-0.99 fails only for real
// under- or over-coverage).
void expect_coverage(const std::vector<double>& cov) {
  for (size_t j = 0; j < cov.size(); ++j) {
    EXPECT_GE(cov[j], 0.70) << "param " << j;
    EXPECT_LE(cov[j], 0.99) << "param " << j;
  }
}

TEST(Recovery, KaplanJointIntervalsCoverTheTruth) {
  expect_coverage(coverage("kaplan", opts("ND"), {8.8e13, 5.4e13, 0.076, 0.095}, design(5, 5, 8), 0.01, 60, 60, 100));
}

TEST(Recovery, DataConstrainedIntervalsCoverTheTruth) {
  // Four sizes (48 points). With three sizes (36 points) B over-covered (1.00 over 60 draws).
  expect_coverage(coverage("data-constrained", {}, {1.8, 480, 2100, 0.35, 0.37, 15.4, 5.3}, repetition_design(4),
                           0.01, 60, 60, 50));
}

TEST(Recovery, BnslIntervalsCoverTheTruth) {
  // Noise at the Huber threshold (sigma = delta = 1e-3). With noise ten times the threshold
  // the objective is effectively least absolute deviations, and the percentile bootstrap
  // then over-covers b and c0 (measured 1.00 over 60 draws; bootstrap SEs ~1.2-1.9x the
  // spread of the estimates), a property of the bootstrap under an L1-like loss for an
  // intercept extrapolated far outside the data (log b at N = 1), not of the fit.
  Observations base;
  for (int i = 0; i < 30; ++i) base.push_back(Observation{.N = std::exp(std::log(1e6) + std::log(1e5) * i / 29.0)});
  expect_coverage(coverage("bnsl", opts("N", 1), {1.5, 30, 0.1, 0.3, 3e8, 0.5}, base, 0.001, 60, 60, 100));
}

}  // namespace
}  // namespace scalelab::fit
