#include "fit/power_fit.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace scalelab::fit {

PowerLawFit fit_power_law(std::span<const double> x, std::span<const double> y, const char* what) {
  SL_ASSERT(x.size() == y.size());
  const size_t n = x.size();
  SL_REQUIRE(n >= 2, "{}: need at least 2 points, got {}", what, n);
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    SL_REQUIRE(x[i] > 0 && y[i] > 0, "{}: point {} is not positive (x = {}, y = {})", what, i, x[i], y[i]);
    mx += std::log(x[i]);
    my += std::log(y[i]);
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    double dx = std::log(x[i]) - mx;
    sxx += dx * dx;
    sxy += dx * (std::log(y[i]) - my);
  }
  SL_REQUIRE(sxx > 1e-24 * static_cast<double>(n), "{}: degenerate design, every point at x = {}", what, x[0]);
  PowerLawFit p;
  p.exponent = sxy / sxx;
  double log_coef = my - p.exponent * mx;
  p.coef = std::exp(log_coef);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) {
    double r = std::log(y[i]) - (log_coef + p.exponent * std::log(x[i]));
    ss += r * r;
  }
  p.rms_log_residual = std::sqrt(ss / static_cast<double>(n));
  return p;
}

std::optional<Parabola> fit_parabola(std::span<const double> t, std::span<const double> y) {
  SL_ASSERT(t.size() == y.size());
  const size_t n = t.size();
  std::vector<double> distinct(t.begin(), t.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 3) return std::nullopt;
  // Centre and scale t so the normal equations stay well conditioned (t ~ log N ~ 20).
  double mean = 0;
  for (double v : t) mean += v;
  mean /= static_cast<double>(n);
  double scale = std::max(std::abs(distinct.back() - mean), std::abs(distinct.front() - mean));
  Eigen::MatrixXd X(n, 3);
  Eigen::VectorXd Y(n);
  for (size_t i = 0; i < n; ++i) {
    double u = (t[i] - mean) / scale;
    X(static_cast<Eigen::Index>(i), 0) = 1;
    X(static_cast<Eigen::Index>(i), 1) = u;
    X(static_cast<Eigen::Index>(i), 2) = u * u;
    Y(static_cast<Eigen::Index>(i)) = y[i];
  }
  Eigen::Vector3d c = X.colPivHouseholderQr().solve(Y);
  if (!(c(2) > 0) || !std::isfinite(c(0) + c(1) + c(2))) return std::nullopt;
  // Back to the original abscissa: u = (t - mean) / scale.
  Parabola p;
  double s2 = scale * scale;
  p.c2 = c(2) / s2;
  p.c1 = c(1) / scale - 2 * c(2) * mean / s2;
  p.c0 = c(0) - c(1) * mean / scale + c(2) * mean * mean / s2;
  return p;
}

SampleSummary summarize_samples(std::vector<double> draws, double level) {
  SL_REQUIRE(level > 0 && level < 1, "ci level {} is not in (0, 1)", level);
  SampleSummary s;
  s.n = draws.size();
  std::erase_if(draws, [](double v) { return std::isnan(v); });
  s.n_valid = draws.size();
  const size_t n = draws.size();
  SL_REQUIRE(n >= 2, "bootstrap: need at least 2 usable draws for a CI, got {}", n);
  double sum = 0;
  for (double v : draws) {
    if (std::isfinite(v)) {
      ++s.n_finite;
      sum += v;
    }
  }
  std::sort(draws.begin(), draws.end());  // +inf (an unreachable target) sorts last
  auto quantile = [&](double q) {
    double pos = q * static_cast<double>(n - 1);
    size_t i = static_cast<size_t>(std::floor(pos));
    size_t j = std::min(i + 1, n - 1);
    double w = pos - static_cast<double>(i);
    if (std::isinf(draws[i]) || std::isinf(draws[j])) return w > 0 ? draws[j] : draws[i];
    return draws[i] + w * (draws[j] - draws[i]);
  };
  s.lo = quantile((1 - level) / 2);
  s.hi = quantile((1 + level) / 2);
  if (s.n_finite < n) {
    s.se = std::numeric_limits<double>::infinity();
  } else {
    // Two passes: draws of C ~ 1e24 would lose every digit in sum(v^2) - n m^2.
    double m = sum / static_cast<double>(n), ss = 0;
    for (double v : draws) ss += (v - m) * (v - m);
    s.se = std::sqrt(ss / static_cast<double>(n - 1));
  }
  return s;
}

}  // namespace scalelab::fit
