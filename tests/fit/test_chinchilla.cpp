// Known answers on the Chinchilla points (tests/data/chinchilla_points.csv): Besiroglu et al.
// 2024's refit of Hoffmann et al. 2022 with the 4,500-start grid and summed Huber, their
// bootstrap standard errors, the closed-form allocation, determinism, JSON and bad input.
#include "chinchilla_points.h"
#include "core/error.h"
#include "fit/approach3.h"
#include "fit/bootstrap.h"
#include "fit/derived.h"

#include <gtest/gtest.h>

#include <cmath>

namespace scalelab::fit {
namespace {

const std::string kPoints = std::string(SCALELAB_SOURCE_DIR) + "/tests/data/chinchilla_points.csv";

// One full fit shared by the tests below (it is the expensive part).
const FitResult& full_fit() {
  static const FitResult r = [] {
    FitOptions opt;
    opt.bootstrap = 200;
    opt.seed = 2024;
    return fit_parametric(*make_law("chinchilla"), testing::load_chinchilla_points(kPoints), opt);
  }();
  return r;
}

TEST(Chinchilla, DataHas240PointsAfterDroppingTheTop5) {
  auto all = testing::load_chinchilla_points(kPoints, 0);
  auto kept = testing::load_chinchilla_points(kPoints, 5);
  EXPECT_EQ(all.size(), 245u);
  EXPECT_EQ(kept.size(), 240u);
}

TEST(Chinchilla, ReproducesBesiroglu2024GridOptimum) {
  const FitResult& r = full_fit();
  ASSERT_EQ(r.names, (std::vector<std::string>{"E", "A", "B", "alpha", "beta"}));
  // Besiroglu et al. 2024 with Hoffmann's 4,500-start grid and the summed Huber loss.
  const double expected[] = {1.817, 477.8, 2143.9, 0.3473, 0.3672};
  for (int j = 0; j < 5; ++j)
    EXPECT_NEAR(r.params[j], expected[j], 0.005 * expected[j]) << r.names[j];
  EXPECT_EQ(r.points, 240);
  EXPECT_EQ(r.starts, 4500);
  EXPECT_TRUE(r.converged) << r.message;
  EXPECT_GT(r.starts_converged, 100);  // the optimum is found from many starts
  EXPECT_LE(r.starts_converged, r.starts);
  EXPECT_NEAR(r.derived.at("a"), 0.3672 / (0.3473 + 0.3672), 0.005);
  EXPECT_NEAR(r.derived.at("a") + r.derived.at("b"), 1.0, 1e-12);
}

TEST(Chinchilla, BootstrapStandardErrorsMatchBesiroglu2024) {
  const FitResult& r = full_fit();
  ASSERT_EQ(r.samples.size(), 200u);
  // Besiroglu et al. 2024, Table 1 (bootstrap): SE(E) 0.026, SE(alpha) 0.015, SE(beta) 0.021.
  EXPECT_NEAR(r.se.at("E"), 0.026, 0.3 * 0.026);
  EXPECT_NEAR(r.se.at("alpha"), 0.015, 0.3 * 0.015);
  EXPECT_NEAR(r.se.at("beta"), 0.021, 0.3 * 0.021);
  for (const char* k : {"E", "A", "B", "alpha", "beta", "a", "b", "G"}) {
    ASSERT_TRUE(r.ci.count(k)) << k;
    EXPECT_LT(r.ci.at(k)[0], r.ci.at(k)[1]) << k;
  }
  for (int j = 0; j < 5; ++j) {  // the point estimate lies inside its 90% interval
    EXPECT_LT(r.ci.at(r.names[j])[0], r.params[j]);
    EXPECT_GT(r.ci.at(r.names[j])[1], r.params[j]);
  }
}

TEST(Chinchilla, AllocationSatisfiesTheBudgetAndMinimisesLoss) {
  const FitResult& r = full_fit();
  auto law = make_law("chinchilla");
  for (double C : {1e18, 5.76e23, 1e26}) {
    ComputeOptimal opt = chinchilla_optimal(r.params, C);
    EXPECT_NEAR(6 * opt.N * opt.D / C, 1.0, 1e-12);
    double best = law->predict(r.params, Observation{.N = opt.N, .D = opt.D});
    for (double f : {0.8, 0.95, 0.99, 1.01, 1.05, 1.25}) {  // along C = 6ND
      double N = opt.N * f;
      EXPECT_GT(law->predict(r.params, Observation{.N = N, .D = C / (6 * N)}), best) << "C=" << C << " f=" << f;
    }
    ChinchillaAllocation al = chinchilla_allocation(r.params);
    EXPECT_NEAR(opt.N, al.G * std::pow(C / 6, al.a), 1e-9 * opt.N);
    EXPECT_NEAR(opt.D, std::pow(C / 6, al.b) / al.G, 1e-9 * opt.D);
  }
}

TEST(Chinchilla, ResultDoesNotDependOnThreadCount) {
  auto obs = testing::load_chinchilla_points(kPoints);
  FitOptions opt;
  opt.max_starts = 300;
  opt.bootstrap = 16;
  opt.seed = 9;
  opt.threads = 1;
  FitResult one = fit_parametric(*make_law("chinchilla"), obs, opt);
  opt.threads = 2;
  FitResult two = fit_parametric(*make_law("chinchilla"), obs, opt);
  EXPECT_EQ(one.params, two.params);
  EXPECT_EQ(one.starts_converged, two.starts_converged);
  EXPECT_EQ(one.samples, two.samples);
  opt.seed = 10;  // a different seed draws different resamples
  FitResult other = fit_parametric(*make_law("chinchilla"), obs, opt);
  EXPECT_NE(one.samples, other.samples);
}

TEST(Chinchilla, JsonRoundTrip) {
  const FitResult& r = full_fit();
  Json j = r.to_json();
  for (const char* k : {"law", "approach", "params", "ci", "se", "objective", "points", "starts_converged", "derived"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["params"]["alpha"].get<double>(), r.params[3]);
  EXPECT_EQ(j["ci"]["a"].size(), 2u);
  FitResult back = FitResult::from_json(Json::parse(j.dump()));
  EXPECT_EQ(back.params, r.params);
  EXPECT_EQ(back.samples, r.samples);
  EXPECT_EQ(back.ci, r.ci);
  EXPECT_EQ(back.derived, r.derived);
  EXPECT_EQ(back.seed, r.seed);
  Observation x{.N = 7e10, .D = 1.4e12};
  EXPECT_DOUBLE_EQ(back.predict(x), make_law("chinchilla")->predict(r.params, x));

  Json missing = j;
  missing["params"].erase("beta");
  try {
    FitResult::from_json(missing);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("params.beta"), std::string::npos) << e.what();
  }
  Json no_law = j;
  no_law.erase("law");
  EXPECT_THROW(FitResult::from_json(no_law), InputError);
}

std::string error_of(const Observations& obs, const std::string& law = "chinchilla") {
  try {
    FitOptions opt;
    opt.max_starts = 50;
    fit_parametric(*make_law(law), obs, opt);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Chinchilla, BadInputIsAnInputErrorNamingTheLawAndReason) {
  auto obs = testing::load_chinchilla_points(kPoints);
  Observations few(obs.begin(), obs.begin() + 5);
  EXPECT_NE(error_of(few).find("chinchilla: 5 points for 5 parameters"), std::string::npos) << error_of(few);

  Observations one_n = obs;
  for (auto& o : one_n) o.N = 1e9;
  EXPECT_NE(error_of(one_n).find("same N"), std::string::npos) << error_of(one_n);

  Observations fixed_ratio = obs;  // D = 20 N everywhere: N and D cannot be told apart
  for (auto& o : fixed_ratio) o.D = 20 * o.N;
  EXPECT_NE(error_of(fixed_ratio).find("degenerate design"), std::string::npos) << error_of(fixed_ratio);

  Observations negative = obs;
  negative[7].loss = -1;
  EXPECT_NE(error_of(negative).find("point 8: loss"), std::string::npos) << error_of(negative);

  Observations nan_d = obs;
  nan_d[3].D = std::nan("");
  EXPECT_NE(error_of(nan_d).find("point 4: D"), std::string::npos) << error_of(nan_d);

  FitOptions bad;
  bad.huber_delta = 0;
  EXPECT_THROW(fit_parametric(*make_law("chinchilla"), obs, bad), InputError);
  bad = FitOptions{};
  bad.ci_level = 1.5;
  EXPECT_THROW(bad.validate(), InputError);
}

TEST(Chinchilla, NonConvergenceIsAnErrorNotAGarbageFit) {
  // One iteration per start cannot converge, and no two starts agree on where they stopped.
  FitOptions opt;
  opt.max_iterations = 1;
  opt.max_starts = 40;
  try {
    fit_parametric(*make_law("chinchilla"), testing::load_chinchilla_points(kPoints), opt);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("chinchilla: the fit did not converge"), std::string::npos) << e.what();
  }
}

TEST(Chinchilla, PercentileIntervalAndStandardError) {
  std::vector<double> v;
  for (int i = 0; i <= 100; ++i) v.push_back(i);
  auto ci = percentile_interval(v, 0.90);
  EXPECT_DOUBLE_EQ(ci[0], 5.0);
  EXPECT_DOUBLE_EQ(ci[1], 95.0);
  std::vector<double> w = {1, 2, 3, 4, std::nan("")};
  EXPECT_NEAR(standard_error(w), std::sqrt(5.0 / 3.0), 1e-15);
}

}  // namespace
}  // namespace scalelab::fit
