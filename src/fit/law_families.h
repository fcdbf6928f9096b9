// defines: the per-family factories behind make_law (one laws_<family>.cpp each) and the
//          small design-check and log-sum-exp helpers they share. Internal to the fit layer.
#pragma once

#include "fit/law.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace scalelab::fit::detail {

std::unique_ptr<Law> make_power_law(const LawOptions& options);
std::unique_ptr<Law> make_kaplan_law(const LawOptions& options);
std::unique_ptr<Law> make_chinchilla_law(const LawOptions& options);
std::unique_ptr<Law> make_data_constrained_law(const LawOptions& options);
std::unique_ptr<Law> make_bnsl_law(const LawOptions& options);
std::unique_ptr<Law> make_overtrain_law(const LawOptions& options);

// Number of distinct values, treating values within a relative 1e-9 as one.
int count_distinct(std::span<const double> values);
// |Pearson correlation| of two columns; 1 when either is constant.
double abs_correlation(std::span<const double> x, std::span<const double> y);
// The log column of Points for variable "N", "D" or "C".
const std::vector<double>& log_column(const Points& pts, const std::string& variable);
// The same as a member pointer, resolved once per law so per-point code does no string compares.
using LogColumn = std::vector<double> Points::*;
LogColumn log_member(const std::string& variable);
double column_value(const Observation& x, const std::string& variable);

// Cartesian product of per-coordinate value lists, first coordinate slowest.
std::vector<std::vector<double>> grid_product(const std::vector<std::vector<double>>& axes);

// log(e^u + e^v) and the softmax weight of u, stable for any magnitudes.
inline double lse2(double u, double v, double& pu) {
  double m = u > v ? u : v;
  double eu = std::exp(u - m), ev = std::exp(v - m);
  double s = eu + ev;
  pu = eu / s;
  return m + std::log(s);
}

// log(e^t1 + e^t2 + e^t3) and its gradient, the softmax weights (p1, p2, p3), stable for
// any magnitudes: the LSE form of Hoffmann et al. 2022, Appendix D.2 (eq. 8), shared by
// the Chinchilla and data-constrained laws.
inline double lse3(double t1, double t2, double t3, double& p1, double& p2, double& p3) {
  double m = std::max(t1, std::max(t2, t3));
  double e1 = std::exp(t1 - m), e2 = std::exp(t2 - m), e3 = std::exp(t3 - m);
  double s = e1 + e2 + e3;
  p1 = e1 / s;
  p2 = e2 / s;
  p3 = e3 / s;
  return m + std::log(s);
}

}  // namespace scalelab::fit::detail
