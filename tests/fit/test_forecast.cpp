// Forecasts from a fit: point values from the law, CIs equal to percentiles computed by
// hand over the bootstrap draws, fit JSON of every approach, and refused requests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/json.h"
#include "fit/approach1.h"
#include "fit/derived.h"
#include "fit/forecast.h"
#include "fit_testing.h"

namespace scalelab::fit {
namespace {

using testing::input_error_message;
using testing::kEpoch;
using testing::make_allocation_fit;
using testing::make_fit;

double chinchilla(std::span<const double> p, double N, double D) {
  return p[0] + p[1] * std::pow(N, -p[3]) + p[2] * std::pow(D, -p[4]);
}

// Type-7 quantile, written out independently of the library.
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double h = q * (v.size() - 1);
  size_t i = static_cast<size_t>(h);
  return i + 1 < v.size() ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[i];
}

TEST(Forecast, LossAtNDWithPercentileCI) {
  FitResult fit = make_fit("chinchilla", kEpoch, 301);
  const double N = 7e10, D = 1.4e12;
  Estimates e = forecast_loss(fit, N, D);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].name, "loss");
  EXPECT_NEAR(e[0].value, chinchilla(kEpoch, N, D), 1e-12);
  std::vector<double> draws;
  for (const auto& s : fit.samples) draws.push_back(chinchilla(s, N, D));
  ASSERT_TRUE(e[0].has_ci);
  EXPECT_NEAR(e[0].lo, quantile(draws, 0.05), 1e-12);
  EXPECT_NEAR(e[0].hi, quantile(draws, 0.95), 1e-12);
  EXPECT_EQ(e[0].draws, 301);
  EXPECT_EQ(e[0].failed_draws, 0);
}

TEST(Forecast, AtBudgetIsTheComputeOptimalPoint) {
  FitResult fit = make_fit("chinchilla", kEpoch, 50);
  const double C = 5.76e23;
  Estimates e = forecast_at_budget(fit, C);
  ComputeOptimal o = chinchilla_optimal(kEpoch, C);
  EXPECT_NEAR(find_estimate(e, "N_opt").value / o.N, 1, 1e-12);
  EXPECT_NEAR(find_estimate(e, "D_opt").value / o.D, 1, 1e-12);
  EXPECT_NEAR(find_estimate(e, "loss").value, chinchilla(kEpoch, o.N, o.D), 1e-12);
  EXPECT_TRUE(find_estimate(e, "loss").has_ci);
  // The forecast at the optimum beats any other split of the same budget.
  EXPECT_LT(find_estimate(e, "loss").value, chinchilla(kEpoch, o.N * 2, o.D / 2));
  EXPECT_LT(find_estimate(e, "loss").value, chinchilla(kEpoch, o.N / 2, o.D * 2));
}

TEST(Forecast, WithoutDrawsThereIsNoCI) {
  Estimates e = forecast_loss(make_fit("chinchilla", kEpoch), 1e9, 2e10);
  EXPECT_FALSE(e[0].has_ci);
  Json j = estimates_to_json(e);
  EXPECT_FALSE(j["loss"].contains("ci"));
  EXPECT_NEAR(j["loss"]["value"].get<double>(), chinchilla(kEpoch, 1e9, 2e10), 1e-12);
}

TEST(Forecast, AllocationFitsForecastNOptButNoLoss) {
  FitResult fit = make_allocation_fit(0.3, 0.5, 20);
  Estimates e = forecast_at_budget(fit, 1e22);
  EXPECT_NEAR(find_estimate(e, "N_opt").value, 0.3 * std::pow(1e22 / 6, 0.5), 1e-3);
  EXPECT_THROW(find_estimate(e, "loss"), InternalError);
  std::string msg = input_error_message([&] { forecast_loss(fit, 1e9, 1e10); });
  EXPECT_NE(msg.find("approach 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--approach 3"), std::string::npos) << msg;
}

TEST(Forecast, FitJsonRoundTripOfEveryApproach) {
  // Approach 2: no law; params, draws and CI level come back.
  FitResult a2 = make_allocation_fit(0.25, 0.52, 30);
  a2.ci_level = 0.8;
  FitResult back = fit_from_json(a2.to_json(), "a2.json");
  EXPECT_EQ(back.approach, 2);
  EXPECT_EQ(back.params, a2.params);
  EXPECT_EQ(back.samples, a2.samples);
  EXPECT_DOUBLE_EQ(back.ci_level, 0.8);
  // Approach 3 through FitResult::from_json.
  FitResult a3 = make_fit("chinchilla", kEpoch, 10);
  back = fit_from_json(a3.to_json(), "a3.json");
  EXPECT_EQ(back.law, "chinchilla");
  EXPECT_EQ(back.params, a3.params);
  EXPECT_EQ(back.samples.size(), 10u);
  // On disk.
  auto path = std::filesystem::temp_directory_path() / ("scalelab_fc_" + std::to_string(::getpid()) + ".json");
  write_json_atomic(path, a2.to_json());
  EXPECT_EQ(load_fit(path).params, a2.params);
  std::filesystem::remove(path);
}

TEST(Forecast, BadFitJsonAndBadRequests) {
  Json j = make_allocation_fit(0.3, 0.5).to_json();
  j["params"].erase("H");
  std::string msg = input_error_message([&] { fit_from_json(j, "f.json"); });
  EXPECT_NE(msg.find("f.json: fit JSON: params.H missing (approach 2)"), std::string::npos) << msg;
  msg = input_error_message([&] { fit_from_json(Json{{"law", "chinchilla"}}, "g.json"); });
  EXPECT_NE(msg.find("g.json: fit JSON: missing field 'approach'"), std::string::npos) << msg;
  Json bad_law = make_fit("chinchilla", kEpoch).to_json();
  bad_law["law"] = "zipf";
  msg = input_error_message([&] { fit_from_json(bad_law, "h.json"); });
  EXPECT_NE(msg.find("h.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("zipf"), std::string::npos) << msg;
  msg = input_error_message([&] { load_fit("/nonexistent/fit.json"); });
  EXPECT_NE(msg.find("--fit /nonexistent/fit.json: no such file"), std::string::npos) << msg;
  FitResult fit = make_fit("chinchilla", kEpoch);
  msg = input_error_message([&] { forecast_loss(fit, -1, 1e10); });
  EXPECT_NE(msg.find("--N"), std::string::npos) << msg;
  msg = input_error_message([&] { forecast_loss(fit, 1e9, 0); });
  EXPECT_NE(msg.find("--D"), std::string::npos) << msg;
  msg = input_error_message([&] { forecast_at_budget(fit, std::nan("")); });
  EXPECT_NE(msg.find("--C"), std::string::npos) << msg;
}

TEST(Forecast, FailedDrawsAreCountedNotHidden) {
  // Draws with a negative exponent have no optimum; they are failed draws.
  FitResult fit = make_fit("chinchilla", kEpoch, 40);
  for (size_t k = 0; k < 10; ++k) fit.samples[k][3] = -0.1;
  Estimates e = forecast_at_budget(fit, 1e22);
  const Estimate& n = find_estimate(e, "N_opt");
  EXPECT_EQ(n.failed_draws, 10);
  EXPECT_EQ(n.draws, 30);
  EXPECT_EQ(estimates_to_json(e)["N_opt"]["failed_draws"].get<int>(), 10);
}

}  // namespace
}  // namespace scalelab::fit
