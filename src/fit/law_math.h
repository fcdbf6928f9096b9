// defines: scalelab::fit::huber, scalelab::fit::huber_slope
//
// The Huber loss of the fitting objective and its slope, per point (objective.cpp; the
// fused loops of objective_simd.cpp compute the same lane-wise).
//
//   f += w * huber(r, 1e-3);
#pragma once

#include <cmath>

namespace scalelab::fit {

// Huber loss (Huber 1964) with threshold delta: r^2/2 for |r| <= delta, else
// delta (|r| - delta/2); continuous with a continuous first derivative.
inline double huber(double r, double delta) {
  double a = std::fabs(r);
  return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
}
// d huber / d r: r inside the threshold, delta * sign(r) outside.
inline double huber_slope(double r, double delta) {
  return r > delta ? delta : (r < -delta ? -delta : r);
}

}  // namespace scalelab::fit
