// Allocation and cost to target: closed forms checked against dense scans, the numeric
// path against the closed form, inference-aware savings, data-constrained capping, and
// monotone cost.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fit/allocate.h"
#include "fit/cost.h"
#include "fit/derived.h"
#include "fit_testing.h"

namespace scalelab::fit {
namespace {

using testing::input_error_message;
using testing::kEpoch;
using testing::make_allocation_fit;
using testing::make_fit;

// Least loss over a dense scan of log N on C = 6 N D: {log N at the least, least loss}.
std::pair<double, double> scan_min(const FitModel& m, std::span<const double> p, double C, double lo, double hi,
                                   int n = 20001, double U = 0) {
  double bx = lo, bf = INFINITY;
  for (int i = 0; i < n; ++i) {
    double x = lo + (hi - lo) * i / (n - 1);
    double f = m.loss(p, std::exp(x), C / (6 * std::exp(x)), U);
    if (f < bf) bf = f, bx = x;
  }
  return {bx, bf};
}

TEST(Allocate, ChinchillaClosedFormMinimisesLossOnIsoFlopLine) {
  FitResult fit = make_fit("chinchilla", kEpoch);
  FitModel m(fit);
  for (double C : {1e18, 5.76e23, 1e26}) {
    ComputeOptimal o = m.optimal(fit.params, C);
    EXPECT_NEAR(6 * o.N * o.D / C, 1.0, 1e-12);
    double x = std::log(o.N);
    auto [sx, sf] = scan_min(m, fit.params, C, x - 3, x + 3);
    EXPECT_NEAR(sx, x, 6.0 / 20000 * 1.01) << C;       // within one scan step
    EXPECT_LE(m.loss(fit.params, o.N, o.D), sf + 1e-14);  // nothing on the scan is lower
  }
  // Hoffmann et al. 2022 eq. 4 by hand: a = beta / (alpha + beta).
  ComputeOptimal o1 = m.optimal(fit.params, 1e20), o2 = m.optimal(fit.params, 1e24);
  EXPECT_NEAR(std::log(o2.N / o1.N) / std::log(1e4), kEpoch[4] / (kEpoch[3] + kEpoch[4]), 1e-12);
}

TEST(Allocate, NumericPathMatchesClosedForm) {
  // The data-constrained law with U = 0 is the Chinchilla law (D' = D), but it takes the
  // numeric path (scan + golden section).
  std::vector<double> p = kEpoch;
  p.insert(p.end(), {15.4, 5.3});  // R*_D, R*_N
  FitResult dc = make_fit("data-constrained", p);
  FitModel m(dc);
  for (double C : {1e19, 5.76e23, 1e27}) {
    ComputeOptimal num = m.optimal(dc.params, C);
    ComputeOptimal closed = chinchilla_optimal(kEpoch, C);
    EXPECT_NEAR(num.N / closed.N, 1.0, 1e-6) << C;
    EXPECT_NEAR(6 * num.N * num.D / C, 1.0, 1e-12);
  }
}

TEST(Allocate, KaplanJointNumericOptimumIsTheScanMinimum) {
  LawOptions lo;
  lo.variable = "ND";
  FitResult fit = make_fit("kaplan", {6.4e13, 1.8e13, 0.076, 0.103}, 0, 0, lo);  // Kaplan et al. 2020 eq. 1.5
  FitModel m(fit);
  const double C = 1e21;
  ComputeOptimal o = m.optimal(fit.params, C);
  EXPECT_NEAR(6 * o.N * o.D / C, 1.0, 1e-12);
  auto [sx, sf] = scan_min(m, fit.params, C, std::log(o.N) - 4, std::log(o.N) + 4);
  EXPECT_NEAR(sx, std::log(o.N), 8.0 / 20000 * 1.01);
  EXPECT_LE(m.loss(fit.params, o.N, o.D), sf + 1e-12);
}

TEST(Allocate, OneVariableLawHasNoInteriorOptimum) {
  FitResult fit = make_fit("power", {1.7, 400, 0.34});
  std::string msg = input_error_message([&] { allocate_compute_optimal(fit, 1e21); });
  EXPECT_NE(msg.find("law power"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no interior minimum"), std::string::npos) << msg;
}

TEST(Allocate, ComputeOptimalEstimatesHaveCIs) {
  FitResult fit = make_fit("chinchilla", kEpoch, 200);
  Estimates e = allocate_compute_optimal(fit, 5.76e23);
  const Estimate& n = find_estimate(e, "N_opt");
  ASSERT_TRUE(n.has_ci);
  EXPECT_EQ(n.draws, 200);
  EXPECT_LT(n.lo, n.value);
  EXPECT_GT(n.hi, n.value);
  EXPECT_GT(n.se, 0);
  EXPECT_NEAR(find_estimate(e, "tokens_per_param").value, find_estimate(e, "D_opt").value / n.value, 1e-9);
}

TEST(Allocate, InferenceAwareWithoutInferenceIsComputeOptimal) {
  FitResult fit = make_fit("chinchilla", kEpoch);
  FitModel m(fit);
  const double C = 1e22;
  ComputeOptimal base = m.optimal(fit.params, C);
  double target = m.loss(fit.params, base.N, base.D);
  InferenceAware r = inference_optimal(m, fit.params, target, 0.0, base);
  EXPECT_NEAR(r.N / base.N, 1.0, 1e-4);
  EXPECT_NEAR(r.total / (6 * base.N * base.D), 1.0, 1e-8);
  EXPECT_NEAR(r.saving, 0.0, 1e-8);
}

TEST(Allocate, InferenceAwareSavesWhenInferenceIsLarge) {
  FitResult fit = make_fit("chinchilla", kEpoch);
  FitModel m(fit);
  const double C = 5.76e23;
  ComputeOptimal base = m.optimal(fit.params, C);
  double target = m.loss(fit.params, base.N, base.D);
  double last_saving = 0, last_N = base.N;
  for (double D_inf : {1e11, 1e12, 1e13, 1e14}) {
    InferenceAware r = inference_optimal(m, fit.params, target, D_inf, base);
    // Same loss, smaller model trained longer, cheaper in total (Sardana et al. 2023).
    EXPECT_NEAR(m.loss(fit.params, r.N, r.D_train), target, 1e-9);
    EXPECT_LT(r.N, last_N);
    EXPECT_GT(r.D_train, base.D);
    EXPECT_LT(r.total, r.baseline_total);
    EXPECT_GT(r.saving, last_saving);
    EXPECT_NEAR(r.total, 6 * r.N * r.D_train + 2 * r.N * D_inf, 1e-6 * r.total);
    // The optimum against a dense scan of N at the same loss.
    for (double f : {0.9, 0.97, 1.03, 1.1}) {
      double N = r.N * f, D = tokens_for_loss(m, fit.params, N, target);
      EXPECT_GE(6 * N * D + 2 * N * D_inf, r.total * (1 - 1e-12)) << D_inf << " " << f;
    }
    last_saving = r.saving;
    last_N = r.N;
  }
  Estimates e = allocate_inference_aware(make_fit("chinchilla", kEpoch, 100), C, 0, 1e13);
  const Estimate& s = find_estimate(e, "saving");
  ASSERT_TRUE(s.has_ci);
  EXPECT_GT(s.lo, 0);
  EXPECT_LT(s.hi, 1);
}

TEST(Allocate, InferenceAwareAtTargetLossUsesMatchingBaseline) {
  FitResult fit = make_fit("chinchilla", kEpoch);
  FitModel m(fit);
  const double C = 1e22;
  double target = m.optimal_loss(fit.params, C);
  Estimates by_target = allocate_inference_aware(fit, 0, target, 1e12);
  Estimates by_budget = allocate_inference_aware(fit, C, 0, 1e12);
  EXPECT_NEAR(find_estimate(by_target, "N").value / find_estimate(by_budget, "N").value, 1, 1e-6);
  EXPECT_NEAR(find_estimate(by_target, "baseline_total_flops").value /
                  find_estimate(by_budget, "baseline_total_flops").value,
              1, 1e-6);
}

TEST(Allocate, DataConstrainedCapsTokensForChinchilla) {
  FitResult fit = make_fit("chinchilla", kEpoch);
  const double C = 5.76e23;
  ComputeOptimal free = chinchilla_optimal(kEpoch, C);
  Estimates capped = allocate_data_constrained(fit, C, free.D / 4);
  EXPECT_DOUBLE_EQ(find_estimate(capped, "D").value, free.D / 4);
  EXPECT_NEAR(find_estimate(capped, "N").value, C / (6 * free.D / 4), 1e-3);
  EXPECT_EQ(find_estimate(capped, "capped").value, 1);
  EXPECT_GT(find_estimate(capped, "loss").value, FitModel(fit).optimal_loss(kEpoch, C));
  Estimates plenty = allocate_data_constrained(fit, C, free.D * 4);
  EXPECT_NEAR(find_estimate(plenty, "N").value / free.N, 1, 1e-12);
  EXPECT_EQ(find_estimate(plenty, "capped").value, 0);
  EXPECT_NEAR(find_estimate(plenty, "epochs").value, 0.25, 1e-12);
}

TEST(Allocate, DataConstrainedLawRepeatsEpochs) {
  std::vector<double> p = kEpoch;
  p.insert(p.end(), {15.4, 5.3});  // R*_D, R*_N of Muennighoff et al. 2023
  FitResult fit = make_fit("data-constrained", p);
  FitModel m(fit);
  const double C = 5.76e23;
  ComputeOptimal free = chinchilla_optimal(kEpoch, C);
  const double U = free.D / 10;
  Estimates e = allocate_data_constrained(fit, C, U);
  double N = find_estimate(e, "N").value, D = find_estimate(e, "D").value;
  EXPECT_NEAR(6 * N * D / C, 1, 1e-12);
  EXPECT_GT(D, U);  // repeating data still pays
  EXPECT_GT(find_estimate(e, "epochs").value, 1);
  EXPECT_EQ(find_estimate(e, "capped").value, 0);
  // The law's own optimum with U: nothing on a dense scan of the line is lower.
  auto [sx, sf] = scan_min(m, fit.params, C, std::log(N) - 3, std::log(N) + 3, 20001, U);
  EXPECT_LE(find_estimate(e, "loss").value, sf + 1e-12);
  EXPECT_NEAR(sx, std::log(N), 6.0 / 20000 * 1.01);
  // Plenty of unique data: the unconstrained optimum.
  Estimates plenty = allocate_data_constrained(fit, C, free.D * 10);
  EXPECT_NEAR(find_estimate(plenty, "N").value / free.N, 1, 1e-6);
}

TEST(Allocate, DataConstrainedLawPricesExcessParameters) {
  // Few unique tokens (a 30th of the unconstrained D_opt): the optimum repeats data, and
  // with excess parameters decaying (R*_N = 5.3, Muennighoff et al. 2023 eq. 6) it buys
  // fewer parameters than when they keep full value (R*_N -> infinity). Both optima are
  // the minimum of a dense scan of the iso-FLOP line under their own law.
  const double C = 5.76e23;
  const double U = chinchilla_optimal(kEpoch, C).D / 30;
  double N_of[2];
  for (int k = 0; k < 2; ++k) {
    std::vector<double> p = kEpoch;
    p.insert(p.end(), {15.4, k == 0 ? 5.3 : 1e12});
    FitResult fit = make_fit("data-constrained", p);
    FitModel m(fit);
    Estimates e = allocate_data_constrained(fit, C, U);
    N_of[k] = find_estimate(e, "N").value;
    EXPECT_NEAR(6 * N_of[k] * find_estimate(e, "D").value / C, 1, 1e-12);
    auto [sx, sf] = scan_min(m, fit.params, C, std::log(N_of[k]) - 3, std::log(N_of[k]) + 3, 20001, U);
    EXPECT_LE(find_estimate(e, "loss").value, sf + 1e-12) << k;
    EXPECT_NEAR(sx, std::log(N_of[k]), 6.0 / 20000 * 1.01) << k;
  }
  EXPECT_LT(N_of[0], 0.95 * N_of[1]);
}

TEST(Allocate, ApproachTwoFitAllocatesByPowerLaw) {
  FitResult fit = make_allocation_fit(0.3, 0.5, 100);
  Estimates e = allocate_compute_optimal(fit, 1e22);
  EXPECT_NEAR(find_estimate(e, "N_opt").value, 0.3 * std::pow(1e22 / 6, 0.5), 1e-3);
  EXPECT_NEAR(find_estimate(e, "D_opt").value * find_estimate(e, "N_opt").value * 6, 1e22, 1e10);
  EXPECT_TRUE(find_estimate(e, "N_opt").has_ci);
  std::string msg = input_error_message([&] { allocate_inference_aware(fit, 1e22, 0, 1e12); });
  EXPECT_NE(msg.find("fit with --approach 3"), std::string::npos) << msg;
  msg = input_error_message([&] { cost_to_target(fit, CostOptions{2.0}); });
  EXPECT_NE(msg.find("needs a loss law"), std::string::npos) << msg;
}

TEST(Cost, LeastComputeReachesTargetAndIsMonotone) {
  FitResult fit = make_fit("chinchilla", kEpoch);
  FitModel m(fit);
  double last = 0;
  for (double target : {2.6, 2.3, 2.1, 2.0, 1.95, 1.9}) {
    double C = least_compute_for_loss(m, fit.params, target);
    ASSERT_TRUE(std::isfinite(C)) << target;
    EXPECT_NEAR(m.optimal_loss(fit.params, C), target, 1e-9);
    EXPECT_GT(m.optimal_loss(fit.params, C * 0.999), target);  // least: a little less misses
    EXPECT_GT(C, last);  // a lower target costs more
    last = C;
  }
  // Round trip: the loss at budget C0 costs C0.
  const double C0 = 5.76e23;
  EXPECT_NEAR(least_compute_for_loss(m, fit.params, m.optimal_loss(fit.params, C0)) / C0, 1, 1e-9);
  EXPECT_TRUE(std::isinf(least_compute_for_loss(m, fit.params, kEpoch[0] - 0.01)));  // below E
}

TEST(Cost, KaplanJointLawReachesTarget) {
  // Near 1e3 FLOPs the Kaplan optimum leaves N >= 1, D >= 1; the search must step past it.
  LawOptions lo;
  lo.variable = "ND";
  FitResult fit = make_fit("kaplan", {6.4e13, 1.8e13, 0.076, 0.103}, 0, 0, lo);
  FitModel m(fit);
  double C = least_compute_for_loss(m, fit.params, 2.5);
  ASSERT_TRUE(std::isfinite(C));
  EXPECT_NEAR(m.optimal_loss(fit.params, C), 2.5, 1e-9);
}

TEST(Cost, ComputeOnlyLawInvertsInClosedForm) {
  // L(C) = E + A C^-alpha (Kaplan et al. 2020's L(C) with an irreducible term): the least
  // C for a target is (A / (target - E))^(1/alpha); there is no N, D split.
  LawOptions lo;
  lo.variable = "C";
  FitResult fit = make_fit("power", {1.7, 1e4, 0.2}, 50, 0.01, lo);
  CostOptions o;
  o.target_loss = 2.0;
  Estimates e = cost_to_target(fit, o);
  EXPECT_NEAR(find_estimate(e, "C").value / std::pow(1e4 / 0.3, 5.0), 1, 1e-9);
  EXPECT_THROW(find_estimate(e, "N"), InternalError);
  Estimates f = forecast_at_budget(fit, 1e21);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NEAR(f[0].value, 1.7 + 1e4 * std::pow(1e21, -0.2), 1e-12);
  EXPECT_TRUE(f[0].has_ci);
  std::string msg = input_error_message([&] { allocate_compute_optimal(fit, 1e21); });
  EXPECT_NE(msg.find("not how to split"), std::string::npos) << msg;
}

TEST(Cost, DeviceHoursPriceAndUnreachableDraws) {
  FitResult fit = make_fit("chinchilla", kEpoch, 200, 0.01);
  CostOptions o;
  o.target_loss = 2.0;
  o.flops_per_second = 4e14;
  o.price_per_hour = 2.5;
  Estimates e = cost_to_target(fit, o);
  double C = find_estimate(e, "C").value;
  EXPECT_NEAR(find_estimate(e, "device_hours").value, C / 4e14 / 3600, 1e-9 * C);
  EXPECT_NEAR(find_estimate(e, "cost").value, 2.5 * C / 4e14 / 3600, 1e-9 * C);
  EXPECT_TRUE(find_estimate(e, "cost").has_ci);
  // A target at the irreducible loss: some draws (E below target) reach it, others never.
  o.target_loss = kEpoch[0] + 1e-4;
  e = cost_to_target(fit, o);
  const Estimate& c = find_estimate(e, "C");
  ASSERT_TRUE(c.has_ci);
  EXPECT_TRUE(std::isinf(c.hi));
  Json j = estimates_to_json(e);
  EXPECT_TRUE(j["C"]["ci"][1].is_null());
  std::string msg = input_error_message([&] { cost_to_target(fit, CostOptions{2.0, 0, 3.0}); });
  EXPECT_NE(msg.find("--price-per-hour needs --flops-per-second"), std::string::npos) << msg;
  msg = input_error_message([&] { cost_to_target(fit, CostOptions{-1}); });
  EXPECT_NE(msg.find("--target-loss"), std::string::npos) << msg;
}

TEST(Allocate, BadBudgets) {
  FitResult fit = make_fit("chinchilla", kEpoch);
  for (double C : {0.0, -1e20, std::nan(""), std::numeric_limits<double>::infinity()}) {
    std::string msg = input_error_message([&] { allocate_compute_optimal(fit, C); });
    EXPECT_NE(msg.find("--budget"), std::string::npos) << msg;
  }
  std::string msg = input_error_message([&] { allocate_data_constrained(fit, 1e21, 0); });
  EXPECT_NE(msg.find("--unique-tokens"), std::string::npos) << msg;
  msg = input_error_message([&] { allocate_inference_aware(fit, 1e21, 0, -5); });
  EXPECT_NE(msg.find("--inference-tokens"), std::string::npos) << msg;
}

}  // namespace
}  // namespace scalelab::fit
