// defines: scalelab::fit::PowerLawFit, fit_power_law, SampleSummary, summarize_samples,
//          Parabola, fit_parabola, golden_section_min
//
// Small numerical helpers shared by approaches 1 and 2 (Hoffmann et al. 2022, sec. 3.1
// and 3.2) and by the forecast/allocation code:
//
//   // y = k x^e by least squares on (log x, log y)
//   PowerLawFit p = fit_power_law(C_over_6, N_opt);      // p.coef, p.exponent
//   SampleSummary s = summarize_samples(draws, 0.90);   // percentile CI and SE
#pragma once

#include <optional>
#include <span>
#include <vector>

namespace scalelab::fit {

// y = coef * x^exponent, fitted as log y = log coef + exponent log x by ordinary least
// squares. `rms_log_residual` is the root-mean-square residual in log y.
struct PowerLawFit {
  double coef = 0;
  double exponent = 0;
  double rms_log_residual = 0;
};

// Needs >= 2 points with distinct x; InputError otherwise (names `what`).
PowerLawFit fit_power_law(std::span<const double> x, std::span<const double> y, const char* what = "power law");

// y = c0 + c1 t + c2 t^2 by least squares (t any abscissa, e.g. log N). Returns nullopt
// when fewer than 3 distinct t or the fit is not convex (c2 <= 0), so no minimum exists.
struct Parabola {
  double c0 = 0, c1 = 0, c2 = 0;
  double argmin() const { return -c1 / (2 * c2); }
};
std::optional<Parabola> fit_parabola(std::span<const double> t, std::span<const double> y);

// Minimiser of f on [a, b] by golden-section search, f unimodal there (callers bracket
// the minimum with a coarse scan first). The bracket shrinks by 0.618 per step; it stops
// at 1e-12 relative width or after 100 steps (0.618^100 ~ 1e-21).
template <class F>
double golden_section_min(F&& f, double a, double b) {
  const double r = 0.6180339887498949;  // (sqrt 5 - 1) / 2
  double x1 = b - r * (b - a), x2 = a + r * (b - a), f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < 100 && b - a > 1e-12 * (1.0 + (a < 0 ? -a : a)); ++it) {
    if (f1 <= f2) {
      b = x2, x2 = x1, f2 = f1;
      x1 = b - r * (b - a), f1 = f(x1);
    } else {
      a = x1, x1 = x2, f1 = f2;
      x2 = a + r * (b - a), f2 = f(x2);
    }
  }
  return 0.5 * (a + b);
}

// Percentile CI (the (1-level)/2 and (1+level)/2 quantiles, linear interpolation between
// order statistics, Hyndman and Fan 1996 type 7, as derived.h's percentile_interval) and the
// sample standard deviation as the bootstrap standard error. Unlike percentile_interval,
// infinite draws are kept and ordered (a draw that never reaches a target loss has
// infinite cost, so the upper bound may be +inf and the SE is then +inf); NaN draws are
// failed draws and are dropped. Needs >= 2 non-NaN draws (InputError otherwise).
struct SampleSummary {
  double lo = 0, hi = 0, se = 0;
  size_t n = 0;         // draws given
  size_t n_valid = 0;   // non-NaN draws
  size_t n_finite = 0;  // finite draws
};
SampleSummary summarize_samples(std::vector<double> draws, double level);

}  // namespace scalelab::fit
