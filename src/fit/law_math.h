// defines: scalelab::fit::vexp, scalelab::fit::vlog, scalelab::fit::huber, scalelab::fit::huber_slope
//
// Branch-free exp and log that GCC vectorises inside `#pragma omp simd` loops (glibc's
// vector libmvec entry points are only declared under -ffast-math, which this project does
// not use). Accuracy: a few ulp over the ranges the fits meet (checked against std::exp
// and std::log in tests/fit/test_objective.cpp), and the same bits on every machine that
// runs the same binary, which keeps multi-start results independent of thread count.
//
//   #pragma omp simd reduction(+ : s)
//   for (size_t i = 0; i < n; ++i) s += vexp(x[i]);
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace scalelab::fit {

// exp(x): x = k ln2 + r with |r| <= ln2/2 (Cody and Waite 1980 two-part ln2), exp(r) by its
// Taylor polynomial to degree 13 (truncation < 2e-17 relative), scaled by 2^k built in
// the exponent bits. x is clamped to [-708, 709], so the result stays a normal double
// (exp(-745) and below return exp(-708) ~ 3e-308, harmless as a softmax weight).
inline double vexp(double x) {
  x = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 0x1.8p52;  // adding and subtracting rounds to the nearest integer
  double kd = (x * kLog2e + kShift) - kShift;
  double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  int64_t k = static_cast<int64_t>(kd);
  double scale = std::bit_cast<double>(static_cast<uint64_t>(k + 1023) << 52);
  return p * scale;
}

// log(x) for finite, normal x > 0 (callers guarantee it: the objectives take the log of a
// sum of exponentials that includes e^0 = 1). x = 2^k m with m in [sqrt(1/2), sqrt(2)),
// split with integer arithmetic only (subtracting the bits of sqrt(1/2) moves the mantissa
// range, as musl's log does), so the loop stays branch-free;
// log m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.1716, by its series to s^23
// (truncation < 1e-18).
inline double vlog(double x) {
  constexpr uint64_t kSqrtHalfBits = 0x3FE6A09E667F3BCDull;
  uint64_t ix = std::bit_cast<uint64_t>(x) - kSqrtHalfBits;
  int64_t k = static_cast<int64_t>(ix) >> 52;
  double m = std::bit_cast<double>((ix & 0x000FFFFFFFFFFFFFull) + kSqrtHalfBits);
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  double p = 1.0 / 23;
  p = p * s2 + 1.0 / 21;
  p = p * s2 + 1.0 / 19;
  p = p * s2 + 1.0 / 17;
  p = p * s2 + 1.0 / 15;
  p = p * s2 + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  p = p * s2 + 1.0;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  double kd = static_cast<double>(k);
  return kd * kLn2Hi + (2.0 * s * p + kd * kLn2Lo);
}

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
