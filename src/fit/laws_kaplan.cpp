// Kaplan et al. 2020 ("Scaling Laws for Neural Language Models"):
//   variable "N":  L(N) = (Nc/N)^aN                         (eq. 1.1)
//   variable "D":  L(D) = (Dc/D)^aD                         (eq. 1.2)
//   variable "ND": L(N, D) = [(Nc/N)^(aN/aD) + Dc/D]^aD     (eq. 1.5)
// Kaplan's own values (non-embedding N, tokens D): Nc = 8.8e13, aN = 0.076, Dc = 5.4e13,
// aD = 0.095. Fitted with log-scale Nc, Dc and the joint form as
//   log L = aD * LSE((aN/aD)(log Nc - log N), log Dc - log D),
// which stays finite where the natural form overflows.
#include "core/error.h"
#include "fit/law_families.h"

#include <algorithm>
#include <cmath>

namespace scalelab::fit::detail {
namespace {

class KaplanLaw final : public Law {
 public:
  explicit KaplanLaw(const LawOptions& o)
      : Law(o), joint_(o.variable == "ND"), col_(joint_ ? &Points::logN : log_member(o.variable)) {}

  std::string name() const override { return "kaplan"; }
  std::string formula() const override {
    if (joint_) return "L(N,D) = [(Nc/N)^(alpha_N/alpha_D) + Dc/D]^alpha_D";
    if (options_.variable == "N") return "L(N) = (Nc/N)^alpha_N";
    return "L(D) = (Dc/D)^alpha_D";
  }
  std::vector<std::string> param_names() const override {
    if (joint_) return {"Nc", "Dc", "alpha_N", "alpha_D"};
    if (options_.variable == "N") return {"Nc", "alpha_N"};
    return {"Dc", "alpha_D"};
  }
  std::vector<ParamScale> scales() const override {
    if (joint_) return {ParamScale::kLog, ParamScale::kLog, ParamScale::kLinear, ParamScale::kLinear};
    return {ParamScale::kLog, ParamScale::kLinear};
  }
  std::string columns() const override { return joint_ ? "ND" : options_.variable; }

  double predict(std::span<const double> p, const Observation& x) const override {
    if (!joint_) return std::pow(p[0] / column_value(x, options_.variable), p[1]);
    return std::pow(std::pow(p[0] / x.N, p[2] / p[3]) + p[1] / x.D, p[3]);
  }

  // Single: log L = aX (log Xc - log X): d/d log Xc = aX, d/d aX = log Xc - log X.
  // Joint, with u = (aN/aD)(lNc - lN), v = lDc - lD, S = LSE(u, v), pu = softmax weight of u:
  //   d/d lNc = aN pu,  d/d lDc = aD (1 - pu),  d/d aN = pu (lNc - lN),  d/d aD = S - pu u.
  double log_predict_fit(std::span<const double> t, const Points& pts, size_t i,
                         std::span<double> g) const override {
    if (!joint_) {
      double lx = (pts.*col_)[i];
      g[0] = t[1];
      g[1] = t[0] - lx;
      return t[1] * (t[0] - lx);
    }
    double lnc = t[0], ldc = t[1], aN = t[2], aD = t[3];
    double u = (aN / aD) * (lnc - pts.logN[i]);
    double v = ldc - pts.logD[i];
    double pu = 0;
    double S = lse2(u, v, pu);
    g[0] = aN * pu;
    g[1] = aD * (1 - pu);
    g[2] = pu * (lnc - pts.logN[i]);
    g[3] = S - pu * u;
    return aD * S;
  }

  // log Xc relative to the largest observed log X (Kaplan's Nc, Dc lie above the data when
  // L > 1), exponents over the range seen in language modelling and beyond.
  std::vector<std::vector<double>> start_grid(const Points& pts) const override {
    std::vector<double> expo = {0.02, 0.05, 0.1, 0.2, 0.5, 1.0};
    auto offsets = [](double top) {
      std::vector<double> v;
      for (double o : {-5.0, 0.0, 5.0, 10.0, 20.0, 40.0}) v.push_back(top + o);
      return v;
    };
    auto top = [](const std::vector<double>& c) { return *std::max_element(c.begin(), c.end()); };
    if (!joint_) return grid_product({offsets(top(log_column(pts, options_.variable))), expo});
    return grid_product({offsets(top(pts.logN)), offsets(top(pts.logD)), expo, expo});
  }

  void check_design(const Points& pts) const override {
    Law::check_design(pts);
    if (!joint_) {
      SL_REQUIRE(count_distinct(log_column(pts, options_.variable)) >= 2,
                 "kaplan: degenerate design: all points have the same {}", options_.variable);
      return;
    }
    SL_REQUIRE(count_distinct(pts.logN) >= 2, "kaplan: degenerate design: all points have the same N");
    SL_REQUIRE(count_distinct(pts.logD) >= 2, "kaplan: degenerate design: all points have the same D");
  }

 private:
  bool joint_;
  LogColumn col_;  // single-variable forms
};

}  // namespace

std::unique_ptr<Law> make_kaplan_law(const LawOptions& options) { return std::make_unique<KaplanLaw>(options); }

}  // namespace scalelab::fit::detail
