#include "probe/icl_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/rng.h"

namespace scalelab::probe {

namespace {

struct LinearFit {
  double a = 0, b = 0, rss = std::numeric_limits<double>::infinity();
};

// Best (a, b) of y = a + b t^-c for a fixed c.
LinearFit fit_for_c(const std::vector<double>& t, const std::vector<double>& y, double c) {
  const size_t n = t.size();
  double su = 0, sy = 0;
  std::vector<double> u(n);
  for (size_t i = 0; i < n; ++i) {
    u[i] = std::pow(t[i], -c);
    su += u[i];
    sy += y[i];
  }
  const double mu = su / n, my = sy / n;
  double suu = 0, suy = 0;
  for (size_t i = 0; i < n; ++i) {
    suu += (u[i] - mu) * (u[i] - mu);
    suy += (u[i] - mu) * (y[i] - my);
  }
  LinearFit f;
  f.b = suu > 0 ? suy / suu : 0.0;
  f.a = my - f.b * mu;
  f.rss = 0;
  for (size_t i = 0; i < n; ++i) f.rss += (y[i] - f.a - f.b * u[i]) * (y[i] - f.a - f.b * u[i]);
  return f;
}

}  // namespace

double ContextCurve::at(double t) const { return a + b * std::pow(t, -c); }

ContextCurve fit_context_curve(std::span<const double> losses) {
  std::vector<double> t, y;
  for (size_t i = 0; i < losses.size(); ++i)
    if (std::isfinite(losses[i])) {
      t.push_back(static_cast<double>(i + 1));
      y.push_back(losses[i]);
    }
  ContextCurve out;
  if (t.size() < 4) return out;
  // Coarse log grid over c, then golden-section search between the best point's neighbours.
  const int grid = 120;
  const double lo = std::log(0.01), hi = std::log(4.0);
  int best = 0;
  double best_rss = std::numeric_limits<double>::infinity();
  for (int i = 0; i <= grid; ++i) {
    const double rss = fit_for_c(t, y, std::exp(lo + (hi - lo) * i / grid)).rss;
    if (rss < best_rss) best_rss = rss, best = i;
  }
  double a = lo + (hi - lo) * std::max(0, best - 1) / grid, b = lo + (hi - lo) * std::min(grid, best + 1) / grid;
  const double r = 0.6180339887498949;
  auto f = [&](double lc) { return fit_for_c(t, y, std::exp(lc)).rss; };
  double x1 = b - r * (b - a), x2 = a + r * (b - a), f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < 60; ++it) {
    if (f1 < f2) b = x2, x2 = x1, f2 = f1, x1 = b - r * (b - a), f1 = f(x1);
    else a = x1, x1 = x2, f1 = f2, x2 = a + r * (b - a), f2 = f(x2);
  }
  const double c = std::exp((a + b) / 2);
  const LinearFit lf = fit_for_c(t, y, c);
  out.a = lf.a;
  out.b = lf.b;
  out.c = c;
  out.rms = std::sqrt(lf.rss / static_cast<double>(t.size()));
  out.ok = std::isfinite(out.rms);
  return out;
}

IclPositions icl_positions(int seq_len) {
  SL_REQUIRE(seq_len >= 2, "icl: a context of {} tokens has no early and late position", seq_len);
  if (seq_len >= 512) return {49, 499};
  auto at = [&](double frac) {
    const int tokens = static_cast<int>(std::lround(seq_len * frac));
    return std::clamp(tokens, 1, seq_len) - 1;
  };
  IclPositions p{at(50.0 / 512.0), at(500.0 / 512.0)};
  if (p.late == p.early) p.late = std::min(seq_len - 1, p.early + 1);
  return p;
}

double band_mean(std::span<const double> losses, int center) {
  const int n = static_cast<int>(losses.size()), h = n / 64;
  const int lo = std::max(0, center - h), hi = std::min(n - 1, center + h);
  double s = 0;
  for (int i = lo; i <= hi; ++i) s += losses[i];
  return s / (hi - lo + 1);
}

double icl_score(std::span<const double> losses) {
  const IclPositions p = icl_positions(static_cast<int>(losses.size()));
  return band_mean(losses, p.late) - band_mean(losses, p.early);
}

std::vector<int32_t> induction_tokens(int count, int length, std::span<const uint16_t> alphabet, uint64_t seed) {
  SL_REQUIRE(length >= 2 && count >= 1 && !alphabet.empty(), "induction probe: needs length >= 2, rows >= 1 and "
             "a non-empty alphabet (got {}, {}, {})", length, count, alphabet.size());
  const int W = 2 * length;
  std::vector<int32_t> out(static_cast<size_t>(count) * W);
  Rng rng(seed);
  for (int r = 0; r < count; ++r) {
    int32_t* row = out.data() + static_cast<size_t>(r) * W;
    for (int i = 0; i < length; ++i) row[i] = alphabet[rng.below(alphabet.size())];
    for (int i = length; i < W; ++i) row[i] = row[i - length];
  }
  return out;
}

InductionScore induction_score(std::span<const float> position_losses, int count, int length) {
  const int W = 2 * length - 1;
  SL_REQUIRE(position_losses.size() == static_cast<size_t>(count) * W,
             "induction probe: {} losses for {} rows of {} positions", position_losses.size(), count, W);
  // Inputs are tokens 0..2L-2 of a row, targets tokens 1..2L-1: position p predicts token p + 1.
  // First copy: p = 0..L-2 predict tokens 2..L. Repeat: p = L..2L-2 predict its tokens 2..L.
  double first = 0, repeat = 0;
  for (int r = 0; r < count; ++r) {
    const float* l = position_losses.data() + static_cast<size_t>(r) * W;
    for (int p = 0; p <= length - 2; ++p) first += l[p];
    for (int p = length; p <= 2 * length - 2; ++p) repeat += l[p];
  }
  const double n = static_cast<double>(count) * (length - 1);
  InductionScore s{first / n, repeat / n, 0};
  s.drop = s.first - s.repeat;
  return s;
}

}  // namespace scalelab::probe
