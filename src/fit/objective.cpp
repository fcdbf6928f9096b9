// Summed Huber objectives: the generic per-point loop and the fused SIMD loops for the
// laws that run on big start grids.
#include "fit/objective.h"

#include "core/error.h"
#include "fit/law_math.h"

#include <cmath>
#include <vector>

namespace scalelab::fit {

double generic_objective(const Law& law, std::span<const double> theta, const Points& pts,
                         std::span<const double> weights, double delta, std::span<double> grad) {
  size_t p = theta.size(), n = pts.size();
  SL_ASSERT(grad.size() == p && weights.size() == n);
  std::fill(grad.begin(), grad.end(), 0.0);
  std::vector<double> gi(p);
  double f = 0;
  for (size_t i = 0; i < n; ++i) {
    if (weights[i] == 0) continue;
    double r = law.log_predict_fit(theta, pts, i, gi) - pts.logloss[i];
    f += weights[i] * huber(r, delta);
    double s = weights[i] * huber_slope(r, delta);
    for (size_t j = 0; j < p; ++j) grad[j] += s * gi[j];
  }
  return f;
}

// Per point, with t1 = a - alpha log N, t2 = b - beta log D, t3 = e, m = max(t1, t2, t3):
//   lse = m + log(e^(t1-m) + e^(t2-m) + e^(t3-m)),  r = lse - log L,
//   d lse / d(a, b, e) = softmax weights (p1, p2, p3),
//   d lse / d alpha = -p1 log N,  d lse / d beta = -p2 log D.
double chinchilla_objective(std::span<const double> theta, const Points& pts,
                            std::span<const double> weights, double delta, std::span<double> grad) {
  SL_ASSERT(theta.size() == 5 && grad.size() == 5 && weights.size() == pts.size());
  const double e = theta[0], a = theta[1], b = theta[2], alpha = theta[3], beta = theta[4];
  const double* lN = pts.logN.data();
  const double* lD = pts.logD.data();
  const double* lL = pts.logloss.data();
  const double* w = weights.data();
  const size_t n = pts.size();
  double f = 0, ge = 0, ga = 0, gb = 0, gal = 0, gbe = 0;
#pragma omp simd reduction(+ : f, ge, ga, gb, gal, gbe)
  for (size_t i = 0; i < n; ++i) {
    double t1 = a - alpha * lN[i];
    double t2 = b - beta * lD[i];
    double t3 = e;
    // Sort the three exponents without branches: e^(max - max) = 1 needs no exp, so two
    // exps per point instead of three; each term's weight is then picked by value (ties
    // pick equal values, so the choice among tied terms does not matter).
    double hi12 = t1 > t2 ? t1 : t2, lo12 = t1 > t2 ? t2 : t1;
    double m = hi12 > t3 ? hi12 : t3;
    double lo = lo12 < t3 ? lo12 : t3;
    double mid = hi12 > t3 ? (lo12 > t3 ? lo12 : t3) : hi12;
    double e_mid = vexp(mid - m), e_lo = vexp(lo - m);
    double s = 1.0 + e_mid + e_lo;
    double e1 = t1 == m ? 1.0 : (t1 == mid ? e_mid : e_lo);
    double e2 = t2 == m ? 1.0 : (t2 == mid ? e_mid : e_lo);
    double e3 = t3 == m ? 1.0 : (t3 == mid ? e_mid : e_lo);
    double r = m + vlog(s) - lL[i];
    double ws = w[i] * huber_slope(r, delta) / s;
    f += w[i] * huber(r, delta);
    ga += ws * e1;
    gb += ws * e2;
    ge += ws * e3;
    gal -= ws * e1 * lN[i];
    gbe -= ws * e2 * lD[i];
  }
  grad[0] = ge;
  grad[1] = ga;
  grad[2] = gb;
  grad[3] = gal;
  grad[4] = gbe;
  return f;
}

double power_objective(std::span<const double> theta, std::span<const double> logx,
                       std::span<const double> logloss, std::span<const double> weights,
                       double delta, std::span<double> grad) {
  SL_ASSERT(theta.size() == 3 && grad.size() == 3 && weights.size() == logx.size());
  const double e = theta[0], a = theta[1], alpha = theta[2];
  const double* lx = logx.data();
  const double* lL = logloss.data();
  const double* w = weights.data();
  const size_t n = logx.size();
  double f = 0, ge = 0, ga = 0, gal = 0;
#pragma omp simd reduction(+ : f, ge, ga, gal)
  for (size_t i = 0; i < n; ++i) {
    double t1 = a - alpha * lx[i];
    double m = t1 > e ? t1 : e;
    double e1 = vexp(t1 - m), e3 = vexp(e - m);
    double s = e1 + e3;
    double r = m + vlog(s) - lL[i];
    double ws = w[i] * huber_slope(r, delta) / s;
    f += w[i] * huber(r, delta);
    ga += ws * e1;
    ge += ws * e3;
    gal -= ws * e1 * lx[i];
  }
  grad[0] = ge;
  grad[1] = ga;
  grad[2] = gal;
  return f;
}

}  // namespace scalelab::fit
