// The data-constrained law of Muennighoff et al. 2023 (eqs. 5-6), against hand-written
// formulas: the excess-parameter kink sits at Chinchilla's compute-optimal N for the unique
// tokens (derived.h's closed form, Hoffmann et al. 2022 eq. 4), analytic gradients match
// finite differences on both sides of it, and the limits in R*_N hold. Fits that recover
// R*_N and its interval's coverage are in test_recovery.cpp.
#include "fit/derived.h"
#include "fit/law.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace scalelab::fit {
namespace {

// E, A, B, alpha, beta, R*_D, R*_N (Muennighoff et al. 2023 fit R*_D = 15.4, R*_N = 5.3).
const std::vector<double> kP = {1.8, 480, 2100, 0.35, 0.37, 15.4, 5.3};

// N_opt(U_D) by way of the compute budget whose Chinchilla-optimal D is U_D:
// D_opt(C) = G^-1 (C/6)^b = U_D  =>  C = 6 (G U_D)^(1/b).
double n_opt_for_tokens(const std::vector<double>& p, double UD) {
  ChinchillaAllocation al = chinchilla_allocation(p);
  double C = 6 * std::pow(al.G * UD, 1 / al.b);
  ComputeOptimal o = chinchilla_optimal(p, C);
  EXPECT_NEAR(o.D / UD, 1.0, 1e-9);
  return o.N;
}

// Muennighoff et al. 2023 eqs. 5-6 written out, with U_N given.
double hand_loss(const std::vector<double>& p, double N, double D, double U, double UN) {
  double UD = std::min(U, D), RD = D / UD - 1;
  double Dp = UD + UD * p[5] * (1 - std::exp(-RD / p[5]));
  double RN = N / UN - 1;
  double Np = UN + UN * p[6] * (1 - std::exp(-RN / p[6]));
  return p[0] + p[1] * std::pow(Np, -p[3]) + p[2] * std::pow(Dp, -p[4]);
}

TEST(DataConstrainedLaw, ExcessParametersDecayBeyondTheComputeOptimalSize) {
  auto law = make_law("data-constrained");
  const double D = 2e9, U = 2.5e8;  // 8 epochs
  const double Nstar = n_opt_for_tokens(kP, U);
  for (double f : {0.01, 0.5, 0.999999, 1.000001, 1.5, 10.0, 1000.0}) {
    double N = f * Nstar;
    Observation x{.N = N, .D = D, .loss = 3, .U = U};
    double UN = std::min(N, Nstar);
    EXPECT_NEAR(law->predict(kP, x) / hand_loss(kP, N, D, U, UN), 1.0, 1e-12) << "N = " << f << " N_opt";
  }
  // Below N_opt the excess-parameter term is absent, so R*_N does not matter (R_N = 0: N' = N).
  Observation small{.N = 0.5 * Nstar, .D = D, .loss = 3, .U = U};
  std::vector<double> q = kP;
  q[6] = 0.01;
  EXPECT_DOUBLE_EQ(law->predict(q, small), law->predict(kP, small));
  // Above it the decay costs loss, and more so for a smaller R*_N.
  Observation big{.N = 20 * Nstar, .D = D, .loss = 3, .U = U};
  std::vector<double> no_decay = kP;
  no_decay[6] = 1e12;
  EXPECT_GT(law->predict(q, big), law->predict(kP, big));
  EXPECT_GT(law->predict(kP, big), law->predict(no_decay, big));
  // Continuous across the kink: just above it N' = N to first order (R_N = 1e-9).
  Observation hi{.N = Nstar * (1 + 1e-9), .D = D, .loss = 3, .U = U};
  EXPECT_NEAR(law->predict(kP, hi) / hand_loss(kP, hi.N, D, U, hi.N), 1.0, 1e-14);
}

TEST(DataConstrainedLaw, LimitsInRStar) {
  auto law = make_law("data-constrained");
  const double D = 2e9, U = 2.5e8, Nstar = n_opt_for_tokens(kP, U), N = 30 * Nstar;
  Observation x{.N = N, .D = D, .loss = 3, .U = U};
  // R*_N -> infinity: excess parameters are worth as much as any (N' -> N).
  std::vector<double> inf = kP;
  inf[6] = 1e9;
  EXPECT_NEAR(law->predict(inf, x) / hand_loss(kP, N, D, U, N), 1.0, 1e-8);
  // R*_N -> 0: they are worth nothing (N' -> U_N = N_opt(U_D)).
  std::vector<double> zero = kP;
  zero[6] = 1e-9;
  EXPECT_NEAR(law->predict(zero, x) / hand_loss(kP, Nstar, D, U, Nstar), 1.0, 1e-8);
  // R*_D -> infinity as well: the plain Chinchilla loss at (N, D).
  inf[5] = 1e9;
  double chin = kP[0] + kP[1] * std::pow(N, -kP[3]) + kP[2] * std::pow(D, -kP[4]);
  EXPECT_NEAR(law->predict(inf, x) / chin, 1.0, 1e-8);
}

TEST(DataConstrainedLaw, FreshDataStillDecaysOversizedModels) {
  // U >= D: one epoch, D' = D; but N beyond N_opt(D) decays (U_D = min(U, D) = D), as in the
  // paper; U = 0 (unknown) is plain Chinchilla.
  auto law = make_law("data-constrained");
  const double D = 1e9, Nstar = n_opt_for_tokens(kP, D);
  Observation x{.N = 10 * Nstar, .D = D, .loss = 3, .U = 5e9};
  EXPECT_NEAR(law->predict(kP, x) / hand_loss(kP, x.N, D, D, Nstar), 1.0, 1e-12);
  x.U = 0;
  EXPECT_NEAR(law->predict(kP, x) / hand_loss(kP, x.N, D, D, x.N), 1.0, 1e-12);
}

// Points on both sides of the kink: N / N_opt(U_D) in {0.2, 0.9} (N' = N) and {1.1, 4, 300}
// (N' < N), for 8 epochs, for U >= D, and for U unknown.
std::vector<Observation> branch_points() {
  std::vector<Observation> out;
  const double D = 3e9;
  for (double U : {D / 8, 2 * D, 0.0}) {
    double Nstar = n_opt_for_tokens(kP, U > 0 ? std::min(U, D) : D);
    for (double f : {0.2, 0.9, 1.1, 4.0, 300.0}) out.push_back(Observation{.N = f * Nstar, .D = D, .loss = 3, .U = U});
  }
  return out;
}

TEST(DataConstrainedLaw, GradientsMatchFiniteDifferencesOnBothBranches) {
  auto law = make_law("data-constrained");
  const size_t P = kP.size();
  std::vector<double> g(P), theta(P), scratch(P);
  law->to_fit(kP, theta);
  auto obs = branch_points();
  Points pts = Points::from(obs);
  for (size_t i = 0; i < obs.size(); ++i) {
    // Natural space.
    law->gradient(kP, obs[i], g);
    for (size_t j = 0; j < P; ++j) {
      std::vector<double> hi = kP, lo = kP;
      double h = 1e-6 * std::fabs(kP[j]);
      hi[j] += h;
      lo[j] -= h;
      double fd = (law->predict(hi, obs[i]) - law->predict(lo, obs[i])) / (2 * h);
      EXPECT_NEAR(g[j], fd, 1e-6 * std::max(1e-3, std::fabs(fd)))
          << "point " << i << " d/d" << law->param_names()[j];
    }
    // Fit space (log-loss, the solver's view).
    double lp = law->log_predict_fit(theta, pts, i, g);
    EXPECT_NEAR(lp, std::log(law->predict(kP, obs[i])), 1e-12);
    for (size_t j = 0; j < P; ++j) {
      std::vector<double> hi = theta, lo = theta;
      const double h = 1e-6;
      hi[j] += h;
      lo[j] -= h;
      double fd = (law->log_predict_fit(hi, pts, i, scratch) - law->log_predict_fit(lo, pts, i, scratch)) / (2 * h);
      EXPECT_NEAR(g[j], fd, 1e-7 * std::max(1e-2, std::fabs(fd))) << "point " << i << " theta " << j;
    }
  }
  // Excess parameters make R*_N matter exactly on the N > N_opt side.
  for (size_t i = 0; i < obs.size(); ++i) {
    law->log_predict_fit(theta, pts, i, g);
    bool excess = obs[i].U > 0 && i % 5 >= 2;
    EXPECT_EQ(g[6] != 0, excess) << "point " << i;
  }
}

TEST(DataConstrainedLaw, FitSpaceStaysFiniteFarFromTheTruth) {
  // Solver excursions: alpha <= 0 (no N_opt), tiny alpha, huge R*.
  auto law = make_law("data-constrained");
  Points pts = Points::from(branch_points());
  std::vector<double> g(7);
  for (auto theta : std::vector<std::vector<double>>{{1, 25, 0, -0.5, 0.3, 2, 1},
                                                     {1, 0, 25, 1e-8, 2, -5, -30},
                                                     {-1, 20, 20, 2, 1e-9, 40, 40}}) {
    for (size_t i = 0; i < pts.size(); ++i) {
      double lp = law->log_predict_fit(theta, pts, i, g);
      EXPECT_TRUE(std::isfinite(lp)) << i;
      for (double v : g) EXPECT_TRUE(std::isfinite(v)) << i;
    }
  }
}

}  // namespace
}  // namespace scalelab::fit
