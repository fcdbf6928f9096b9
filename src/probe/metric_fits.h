// defines: scalelab::probe::CurveFit, fit_sigmoid, fit_bnsl, predict, transition_decades,
//          largest_jump_fraction
//
// A task metric (exact match, token accuracy, edit distance, log-likelihood; see
// task_metrics.h) against scale x (training FLOPs or parameters, x > 0), fitted two ways,
// so a probe can say whether a metric jumps (a narrow sigmoid, one step holding all the
// change) or improves smoothly (a wide sigmoid, a broken power law that fits well).
//
//   std::vector<double> C = {1e12, 3e12, 1e13, 3e13, 1e14, 3e14}, em = {0, 0, .01, .4, .9, .95};
//   CurveFit s = fit_sigmoid(C, em);                 // s.ok, s.params = {lo, hi, x0, w}
//   double width = transition_decades(s);            // 10%-90% width, decades of C
//   double y = predict(s, 1e15);
//   CurveFit b = fit_bnsl(C, error);                 // for a DEcreasing quantity
//   double jump = largest_jump_fraction(C, em);      // 1 = all change in one step
//
// Both fits minimise the plain residual sum of squares in y, from a multistart grid, with
// fit::minimize_lbfgs. The parameters entering linearly (lo and hi; a and b) are solved
// in closed form for each value of the others (variable projection, Golub and Pereyra
// 1973), so L-BFGS only searches the 2 (sigmoid) or 4 (BNSL) nonlinear ones. Bad input
// (too few points, x <= 0, non-finite values, constant y) gives ok = false and a message,
// never an exception: a probe fits many metrics and reports the ones that cannot be fitted.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace scalelab::probe {

struct CurveFit {
  std::string model;               // "sigmoid" | "bnsl"
  std::vector<std::string> names;  // parameter names, in `params` order
  std::vector<double> params;
  double rss = 0;  // sum of squared residuals, units of y^2
  double r2 = 0;   // 1 - rss / sum (y - mean y)^2
  bool ok = false;
  std::string message;  // why not ok, or how the best start ended
};

// y = lo + (hi - lo) / (1 + exp(-(log10 x - x0) / w)), w > 0: a logistic in log10 x with
// midpoint x0 (log10 units) and width w (decades); hi < lo for a decreasing metric.
// Needs >= 4 points at >= 2 distinct x. The search keeps x0 within half the data's span
// (in decades) of the data and w <= 2 spans: a metric linear in log x is best fitted by an
// ever wider sigmoid, and the cap keeps lo and hi finite (w then sits at the cap).
CurveFit fit_sigmoid(std::span<const double> x, std::span<const double> y);

// Broken neural scaling law with one break (Caballero et al. 2022, eq. 1):
//   y = a + b x^-c0 (1 + (x/d)^(1/f))^(-c1 f),  d > 0, f > 0,
// for a quantity that decreases with scale (an error: 1 - accuracy, edit distance,
// -loglik). The log-log slope of y - a bends from -c0 to -(c0 + c1) around x = d, sharply
// for small f. Parameters {a, b, c0, c1, d, f}; needs >= 6 points at >= 6 distinct x.
CurveFit fit_bnsl(std::span<const double> x, std::span<const double> y);

// The fitted curve at x > 0; NaN when the fit is not ok.
double predict(const CurveFit& fit, double x);

// 10%-to-90% width of a fitted sigmoid in decades of x: 2 ln 9 w (the logistic moves
// from 10% to 90% of hi - lo between x0 -/+ w ln 9). Small = sharp. NaN unless `sigmoid`
// is an ok sigmoid fit.
double transition_decades(const CurveFit& sigmoid);

// Points are sorted by x (y averaged over equal x); returns the largest step between
// consecutive points in the direction of the overall change (a rise when y ends at least
// as high as it starts, a drop otherwise) as a fraction of max(y) - min(y): 1 when all
// the change happens in one step, 1/(n-1) for a straight ramp over n points. NaN when y
// is constant or there are fewer than 2 distinct x.
double largest_jump_fraction(std::span<const double> x, std::span<const double> y);

}  // namespace scalelab::probe
