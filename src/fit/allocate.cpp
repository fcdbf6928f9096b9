// Compute-optimal, inference-aware and data-constrained allocation of a budget.
#include "fit/allocate.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/training_compute.h"
#include "fit/cost.h"
#include "fit/power_fit.h"

namespace scalelab::fit {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void require_budget(double C) {
  SL_REQUIRE(std::isfinite(C) && C > 6, "--budget: expected a FLOP count > 6, got {:g}", C);
}

}  // namespace

double tokens_for_loss(const FitModel& m, std::span<const double> p, double N, double target, double U) {
  m.require_loss("inference-aware allocation");
  if (m.law()->name() == "chinchilla") {
    // E + A N^-alpha + B D^-beta = target  =>  D = (B / (target - E - A N^-alpha))^(1/beta).
    double rest = target - p[0] - p[1] * std::pow(N, -p[3]);
    return rest > 0 ? std::pow(p[2] / rest, 1 / p[4]) : kInf;
  }
  // Loss falls with D at fixed N: bisection in log D on [0, 90] (D up to ~1e39 tokens).
  double lo = 0, hi = 90;
  if (!(m.loss(p, N, std::exp(hi), U) <= target)) return kInf;
  if (m.loss(p, N, 1.0, U) <= target) return 1.0;
  for (int it = 0; it < 60; ++it) {
    double mid = 0.5 * (lo + hi);
    (m.loss(p, N, std::exp(mid), U) <= target ? hi : lo) = mid;
  }
  return std::exp(hi);
}

InferenceAware inference_optimal(const FitModel& m, std::span<const double> p, double target, double D_inf,
                                 const ComputeOptimal& baseline, double U) {
  SL_REQUIRE(std::isfinite(D_inf) && D_inf >= 0, "--inference-tokens: expected >= 0 tokens, got {:g}", D_inf);
  // Total FLOPs as a function of x = log N (Sardana et al. 2023, eq. 2); infeasible N
  // (too small to ever reach the target) cost +inf.
  auto total = [&](double x) {
    double N = std::exp(x);
    double D = tokens_for_loss(m, p, N, target, U);
    return std::isfinite(D) ? training_compute(N, D) + inference_compute(N, D_inf) : kInf;
  };
  // Inference tokens push N below the compute-optimal N*, by many decades when D_inf is
  // huge; the scan covers N* e^-16 .. N* e^4 in steps of 0.05 in log N.
  const double x0 = std::log(baseline.N), lo = x0 - 16, hi = x0 + 4, step = 0.05;
  const int M = static_cast<int>((hi - lo) / step);
  int best = -1;
  double fbest = kInf;
  for (int i = 0; i <= M; ++i) {
    double v = total(lo + step * i);
    if (v < fbest) fbest = v, best = i;
  }
  SL_REQUIRE(best > 0 && best < M,
             "inference-aware allocation: no interior optimum for N in [{:.3g}, {:.3g}] (inference tokens {:g})",
             std::exp(lo), std::exp(hi), D_inf);
  double x = golden_section_min(total, lo + step * (best - 1), lo + step * (best + 1));
  InferenceAware r;
  r.N = std::exp(x);
  r.D_train = tokens_for_loss(m, p, r.N, target, U);
  r.train_flops = training_compute(r.N, r.D_train);
  r.inference_flops = 2 * r.N * D_inf;
  r.total = r.train_flops + r.inference_flops;
  r.baseline_N = baseline.N;
  r.baseline_D = baseline.D;
  r.baseline_total = training_compute(baseline.N, baseline.D) + inference_compute(baseline.N, D_inf);
  // The baseline is feasible, so the optimum is never worse, up to the search tolerance.
  if (r.total > r.baseline_total) {
    r.N = baseline.N, r.D_train = baseline.D;
    r.train_flops = training_compute(r.N, r.D_train), r.inference_flops = inference_compute(r.N, D_inf),
    r.total = r.baseline_total;
  }
  r.saving = 1 - r.total / r.baseline_total;
  return r;
}

Estimates allocate_compute_optimal(const FitResult& fit, double C) {
  require_budget(C);
  FitModel m(fit);
  SL_REQUIRE(!m.compute_only(), "law {} in C alone predicts loss at a budget but not how to split it into N and D",
             fit.law);
  return forecast_at_budget(fit, C);
}

Estimates allocate_inference_aware(const FitResult& fit, double C, double target_loss, double D_inf) {
  FitModel m(fit);
  m.require_loss("inference-aware allocation");
  SL_REQUIRE(target_loss > 0 || (std::isfinite(C) && C > 6),
             "inference-aware allocation: give --budget (its compute-optimal loss is the target) or --target-loss");
  SL_REQUIRE(std::isfinite(target_loss) && target_loss >= 0, "--target-loss: expected a positive loss, got {:g}",
             target_loss);
  SL_REQUIRE(std::isfinite(D_inf) && D_inf >= 0, "--inference-tokens: expected >= 0 tokens, got {:g}", D_inf);
  return estimate_with_ci(
      fit,
      {"target_loss", "N", "D_train", "tokens_per_param", "train_flops", "inference_flops", "total_flops",
       "baseline_N", "baseline_D", "baseline_total_flops", "saving"},
      {"nats/token", "params", "tokens", "tokens/param", "FLOP", "FLOP", "FLOP", "params", "tokens", "FLOP",
       "fraction"},
      [&](std::span<const double> p) {
        double target = target_loss;
        ComputeOptimal base;
        if (target > 0) {
          double Cl = least_compute_for_loss(m, p, target);
          SL_REQUIRE(std::isfinite(Cl), "--target-loss {:g} is below the loss any budget reaches", target);
          base = m.optimal(p, Cl);
        } else {
          base = m.optimal(p, C);
          target = m.loss(p, base.N, base.D);
        }
        InferenceAware r = inference_optimal(m, p, target, D_inf, base);
        return std::vector<double>{target, r.N, r.D_train, r.D_train / r.N, r.train_flops, r.inference_flops,
                                   r.total, r.baseline_N, r.baseline_D, r.baseline_total, r.saving};
      });
}

Estimates allocate_data_constrained(const FitResult& fit, double C, double U) {
  require_budget(C);
  SL_REQUIRE(std::isfinite(U) && U > 0, "--unique-tokens: expected a positive token count, got {:g}", U);
  FitModel m(fit);
  const bool dc_law = m.has_loss() && m.law()->name() == "data-constrained";
  std::vector<std::string> names{"N", "D", "epochs", "capped"};
  std::vector<std::string> units{"params", "tokens", "epochs", "0/1"};
  if (m.has_loss()) names.push_back("loss"), units.push_back("nats/token");
  return estimate_with_ci(fit, names, units, [&](std::span<const double> p) {
    ComputeOptimal o = m.optimal(p, C, dc_law ? U : 0);
    double capped = 0;
    if (!dc_law && o.D > U) {
      o.D = U;
      o.N = params_at_compute(C, U);
      capped = 1;
    }
    std::vector<double> v{o.N, o.D, o.D / U, capped};
    if (m.has_loss()) v.push_back(m.loss(p, o.N, o.D, dc_law ? U : 0));
    return v;
  });
}

}  // namespace scalelab::fit
