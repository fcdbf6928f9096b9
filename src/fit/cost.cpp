// Cost to reach a target loss (least compute, device-hours, price).
#include "fit/cost.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace scalelab::fit {

double least_compute_for_loss(const FitModel& m, std::span<const double> p, double target, double U) {
  m.require_loss("cost to a target loss");
  // At the top of the range errors propagate (a law that cannot allocate at all). Below
  // it, a budget so small that its optimum leaves N >= 1, D >= 1 (possible for Kaplan's
  // joint law near 1e3 FLOPs) counts as not reaching the target.
  if (m.optimal_loss(p, kCostMaxFlops, U) > target) return std::numeric_limits<double>::infinity();
  auto reaches = [&](double C) {
    try {
      return m.optimal_loss(p, C, U) <= target;
    } catch (const InputError&) {
      return false;
    }
  };
  double lo = std::log(kCostMinFlops), hi = std::log(kCostMaxFlops);
  if (reaches(kCostMinFlops)) return kCostMinFlops;
  // Invariant: the target is missed at e^lo and reached at e^hi. 60 halvings of
  // [6.9, 92] leave < 1e-16 in log C.
  for (int it = 0; it < 60 && hi - lo > 1e-13; ++it) {
    double mid = 0.5 * (lo + hi);
    (reaches(std::exp(mid)) ? hi : lo) = mid;
  }
  return std::exp(hi);
}

void CostOptions::validate() const {
  SL_REQUIRE(std::isfinite(target_loss) && target_loss > 0, "--target-loss: expected a positive loss, got {:g}",
             target_loss);
  SL_REQUIRE(std::isfinite(flops_per_second) && flops_per_second >= 0,
             "--flops-per-second: expected a positive FLOP/s, got {:g}", flops_per_second);
  SL_REQUIRE(std::isfinite(price_per_hour) && price_per_hour >= 0,
             "--price-per-hour: expected a non-negative price, got {:g}", price_per_hour);
  SL_REQUIRE(price_per_hour == 0 || flops_per_second > 0,
             "--price-per-hour needs --flops-per-second (hours = C / FLOP/s / 3600)");
  SL_REQUIRE(std::isfinite(U) && U >= 0, "--unique-tokens: expected a non-negative token count, got {:g}", U);
}

Estimates cost_to_target(const FitResult& fit, const CostOptions& opt) {
  opt.validate();
  FitModel m(fit);
  m.require_loss("cost to a target loss");
  // A compute-only law gives C and loss but no N, D.
  const bool split = !m.compute_only();
  std::vector<std::string> names{"C", "loss"};
  std::vector<std::string> units{"FLOP", "nats/token"};
  if (split) names.insert(names.begin() + 1, {"N", "D"}), units.insert(units.begin() + 1, {"params", "tokens"});
  const bool hours = opt.flops_per_second > 0, price = opt.price_per_hour > 0;
  if (hours) names.push_back("device_hours"), units.push_back("h");
  if (price) names.push_back("cost"), units.push_back("currency");
  const double inf = std::numeric_limits<double>::infinity();
  return estimate_with_ci(fit, names, units, [&](std::span<const double> p) {
    double C = least_compute_for_loss(m, p, opt.target_loss, opt.U);
    std::vector<double> v;
    v = {C};
    if (split) {
      ComputeOptimal o = std::isinf(C) ? ComputeOptimal{inf, inf} : m.optimal(p, C, opt.U);
      v.push_back(o.N);
      v.push_back(o.D);
    }
    v.push_back(m.optimal_loss(p, std::isinf(C) ? kCostMaxFlops : C, opt.U));  // unreachable: the best on offer
    double h = C / opt.flops_per_second / 3600.0;
    if (hours) v.push_back(h);
    if (price) v.push_back(h * opt.price_per_hour);
    return v;
  });
}

}  // namespace scalelab::fit
