// defines: scalelab::fit::CostOptions, least_compute_for_loss, cost_to_target
//
// Cost to reach a target loss: the least training compute C whose compute-optimal model
// (forecast.h: FitModel::optimal) is predicted to reach loss <= target, and, given a
// device's sustained FLOP/s and price per hour, the device-hours and the bill.
//
//   CostOptions o;  o.target_loss = 2.0;  o.flops_per_second = 4e14;  o.price_per_hour = 2.5;
//   Estimates e = cost_to_target(fit, o);   // C, N, D, device_hours, cost, each with a CI
//
// Units: C in FLOPs, hours = C / F / 3600, cost = hours * price (the price's currency).
// The predicted optimal loss L*(C) falls monotonically with C for every law with positive
// exponents, so the least C is found by bisection in log C over [1e3, 1e40] FLOPs. A
// target below L*(1e40) (e.g. under the irreducible loss E) is unreachable: C = +inf
// (JSON null), for the point estimate and for any bootstrap draw alike.
#pragma once

#include <span>

#include "fit/fit_result.h"
#include "fit/forecast.h"

namespace scalelab::fit {

inline constexpr double kCostMinFlops = 1e3;
inline constexpr double kCostMaxFlops = 1e40;

// Least C in [kCostMinFlops, kCostMaxFlops] with optimal_loss(p, C, U) <= target, to a
// relative precision of 1e-12; +inf when even kCostMaxFlops does not reach it.
double least_compute_for_loss(const FitModel& m, std::span<const double> p, double target, double U = 0);

struct CostOptions {
  double target_loss = 0;       // nats/token, > 0
  double flops_per_second = 0;  // sustained device FLOP/s; 0 = no device-hours
  double price_per_hour = 0;    // per device-hour; 0 = no cost (needs flops_per_second)
  double U = 0;                 // unique tokens for the data-constrained law; 0 = unconstrained
  void validate() const;        // InputError naming the flag
};

// Estimates named C, N, D, loss (at that C; when unreachable, the loss at kCostMaxFlops), and when given F (and P) device_hours (and cost).
Estimates cost_to_target(const FitResult& fit, const CostOptions& opt);

}  // namespace scalelab::fit
