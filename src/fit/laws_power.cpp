// Single-variable power law with an irreducible term, L(X) = E + A X^-alpha, X in {N, D, C}:
// the one-variable slice of Hoffmann et al. 2022, eq. 2 (and Kaplan et al. 2020's L(C) with
// an added E, as Henighan et al. 2020 write it). Fitted as
//   log L = LSE(a - alpha log X, e),  A = e^a, E = e^e,
// from a grid in the spirit of Hoffmann's: e in {-1, -.5, .., 1}, a in {0, 5, .., 25},
// alpha in {0, 0.1, 0.25, 0.5, 1, 2} (finer near 0 because compute exponents are ~0.05).
#include "core/error.h"
#include "fit/law_families.h"
#include "fit/objective.h"

#include <cmath>

namespace scalelab::fit::detail {
namespace {

class PowerLaw final : public Law {
 public:
  explicit PowerLaw(const LawOptions& o) : Law(o), col_(log_member(o.variable)) {}

  std::string name() const override { return "power"; }
  std::string formula() const override {
    const std::string& x = options_.variable;
    return "L(" + x + ") = E + A*" + x + "^-alpha";
  }
  std::vector<std::string> param_names() const override { return {"E", "A", "alpha"}; }
  std::vector<ParamScale> scales() const override {
    return {ParamScale::kLog, ParamScale::kLog, ParamScale::kLinear};
  }
  std::string columns() const override { return options_.variable; }

  double predict(std::span<const double> p, const Observation& x) const override {
    return p[0] + p[1] * std::pow(column_value(x, options_.variable), -p[2]);
  }

  void gradient(std::span<const double> p, const Observation& x, std::span<double> g) const override {
    double X = column_value(x, options_.variable);
    double t = std::pow(X, -p[2]);
    g[0] = 1.0;
    g[1] = t;
    g[2] = -p[1] * t * std::log(X);
  }

  double log_predict_fit(std::span<const double> t, const Points& pts, size_t i,
                         std::span<double> g) const override {
    double lx = (pts.*col_)[i];
    double pa = 0;
    double lse = lse2(t[1] - t[2] * lx, t[0], pa);
    g[0] = 1 - pa;
    g[1] = pa;
    g[2] = -pa * lx;
    return lse;
  }

  double objective(std::span<const double> theta, const Points& pts, std::span<const double> w,
                   double delta, std::span<double> grad) const override {
    return power_objective(theta, pts.*col_, pts.logloss, w, delta, grad);
  }

  std::vector<std::vector<double>> start_grid(const Points&) const override {
    return grid_product({{-1, -0.5, 0, 0.5, 1}, {0, 5, 10, 15, 20, 25}, {0, 0.1, 0.25, 0.5, 1, 2}});
  }

  void check_design(const Points& pts) const override {
    Law::check_design(pts);
    int d = count_distinct(log_column(pts, options_.variable));
    SL_REQUIRE(d >= 3, "power: degenerate design: {} distinct values of {}; E, A and alpha need at least 3",
               d, options_.variable);
  }

 private:
  LogColumn col_;
};

}  // namespace

std::unique_ptr<Law> make_power_law(const LawOptions& options) { return std::make_unique<PowerLaw>(options); }

}  // namespace scalelab::fit::detail
