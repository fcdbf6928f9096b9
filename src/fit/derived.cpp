// Chinchilla closed forms (Hoffmann et al. 2022, eq. 4) and bootstrap statistics.
#include "fit/derived.h"

#include "core/error.h"
#include "core/training_compute.h"

#include <algorithm>
#include <cmath>

namespace scalelab::fit {

ChinchillaAllocation chinchilla_allocation(std::span<const double> p) {
  SL_REQUIRE(p.size() >= 5, "chinchilla allocation: expected params E, A, B, alpha, beta");
  double A = p[1], B = p[2], alpha = p[3], beta = p[4];
  SL_REQUIRE(A > 0 && B > 0 && alpha > 0 && beta > 0,
             "chinchilla allocation: needs A, B, alpha, beta > 0 (got A={:g}, B={:g}, alpha={:g}, "
             "beta={:g}); otherwise the loss has no finite optimum along C = 6ND",
             A, B, alpha, beta);
  ChinchillaAllocation al;
  al.a = beta / (alpha + beta);
  al.b = alpha / (alpha + beta);
  al.G = std::pow(alpha * A / (beta * B), 1.0 / (alpha + beta));
  return al;
}

// Setting d/dN [A N^-alpha + B (C/(6N))^-beta] = 0 gives
// N^(alpha+beta) = (alpha A / (beta B)) (C/6)^beta, hence N_opt = G (C/6)^a and D_opt = C/(6 N_opt).
ComputeOptimal chinchilla_optimal(std::span<const double> params, double C) {
  SL_REQUIRE(std::isfinite(C) && C > 0, "budget: C must be a positive FLOP count, got {:g}", C);
  ChinchillaAllocation al = chinchilla_allocation(params);
  ComputeOptimal out;
  out.N = al.G * std::pow(C / kFlopsPerParamToken, al.a);
  out.D = tokens_at_compute(C, out.N);
  return out;
}

std::array<double, 2> percentile_interval(std::vector<double> draws, double level) {
  SL_REQUIRE(level > 0 && level < 1, "ci_level: must be in (0, 1), got {}", level);
  std::erase_if(draws, [](double v) { return !std::isfinite(v); });
  SL_REQUIRE(!draws.empty(), "percentile interval: no finite bootstrap draws");
  std::sort(draws.begin(), draws.end());
  auto quantile = [&](double q) {
    double h = q * static_cast<double>(draws.size() - 1);
    size_t lo = static_cast<size_t>(std::floor(h));
    size_t hi = std::min(lo + 1, draws.size() - 1);
    return draws[lo] + (h - static_cast<double>(lo)) * (draws[hi] - draws[lo]);
  };
  return {quantile(0.5 * (1 - level)), quantile(0.5 * (1 + level))};
}

double standard_error(std::span<const double> draws) {
  double sum = 0;
  size_t n = 0;
  for (double v : draws)
    if (std::isfinite(v)) sum += v, ++n;
  if (n < 2) return std::nan("");
  double mean = sum / n, ss = 0;
  for (double v : draws)
    if (std::isfinite(v)) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / (n - 1));
}

}  // namespace scalelab::fit
