// Muennighoff et al. 2023 ("Scaling Data-Constrained Language Models"), eqs. 5-6: training
// for several epochs on U_D unique tokens is worth less than fresh data; the Chinchilla form
// is evaluated at an effective data count
//   D' = U_D + U_D R*_D (1 - exp(-R_D / R*_D)),   R_D = D / U_D - 1 (repeated epochs),
// where R*_D is the number of repetitions after which extra epochs are worth ~1/e as much:
//   L(N, D, U) = E + A / N^alpha + B / D'^beta.
// Muennighoff et al. fit R*_D = 15.4.
//
// What this implementation does (and does not): U_D = min(U, D) per point, so a point with
// U = 0 (unknown) or U >= D saw no repetition and D' = D. Parameters are NOT repeated:
// N' = N. Muennighoff et al. also decay excess parameters (N' with U_N the compute-optimal
// size for U_D tokens and a second constant R*_N = 5.3), but U_N depends on the fitted
// law itself and enters through a min(), which makes the fit non-smooth; we leave R*_N out
// and say so in formula(). Fit space: e, a, b, alpha, beta, r = log R*_D, with
//   log D' = log U_D + log(1 + R* q),  q = 1 - exp(-R_D / R*),
//   d log D' / d r = R* (q - (R_D / R*) exp(-R_D / R*)) / (1 + R* q).
#include "core/error.h"
#include "fit/derived.h"
#include "fit/law_families.h"

#include <cmath>

namespace scalelab::fit::detail {
namespace {

struct Effective {
  double logD;  // log D'
  double dlogD; // d log D' / d log R*
};

Effective effective_data(double D, double U, double Rs) {
  double Ud = (U > 0 && U < D) ? U : D;
  double R = D / Ud - 1;
  if (R <= 0) return {std::log(D), 0.0};
  double ex = std::exp(-R / Rs);
  double q = -std::expm1(-R / Rs);
  double inner = 1 + Rs * q;
  return {std::log(Ud) + std::log(inner), Rs * (q - (R / Rs) * ex) / inner};
}

class DataConstrainedLaw final : public Law {
 public:
  explicit DataConstrainedLaw(const LawOptions& o) : Law(o) {}

  std::string name() const override { return "data-constrained"; }
  std::string formula() const override {
    return "L(N,D,U) = E + A/N^alpha + B/D'^beta, D' = U + U*R*_D*(1 - exp(-(D/U - 1)/R*_D)) "
           "(Muennighoff et al. 2023; N not decayed)";
  }
  std::vector<std::string> param_names() const override { return {"E", "A", "B", "alpha", "beta", "R_D_star"}; }
  std::vector<ParamScale> scales() const override {
    return {ParamScale::kLog,    ParamScale::kLog,    ParamScale::kLog,
            ParamScale::kLinear, ParamScale::kLinear, ParamScale::kLog};
  }
  std::string columns() const override { return "NDU"; }

  double predict(std::span<const double> p, const Observation& x) const override {
    double Dp = std::exp(effective_data(x.D, x.U, p[5]).logD);
    return p[0] + p[1] * std::pow(x.N, -p[3]) + p[2] * std::pow(Dp, -p[4]);
  }

  double log_predict_fit(std::span<const double> t, const Points& pts, size_t i,
                         std::span<double> g) const override {
    Effective eff = effective_data(pts.D[i], pts.U[i], std::exp(t[5]));
    double lse = lse3(t[1] - t[3] * pts.logN[i], t[2] - t[4] * eff.logD, t[0], g[1], g[2], g[0]);
    g[3] = -g[1] * pts.logN[i];
    g[4] = -g[2] * eff.logD;
    g[5] = -g[2] * t[4] * eff.dlogD;
    return lse;
  }

  // A coarser Hoffmann grid (3^6 = 729 starts): the five Chinchilla coordinates at 3 values
  // each and R*_D at 2, 10 and 50 repetitions (Muennighoff et al.'s 15.4 lies inside).
  std::vector<std::vector<double>> start_grid(const Points&) const override {
    return grid_product({{-1, 0, 1},
                         {0, 10, 20},
                         {0, 10, 20},
                         {0.25, 0.5, 1.0},
                         {0.25, 0.5, 1.0},
                         {std::log(2.0), std::log(10.0), std::log(50.0)}});
  }

  void check_design(const Points& pts) const override {
    Law::check_design(pts);
    SL_REQUIRE(count_distinct(pts.logN) >= 2,
               "data-constrained: degenerate design: all points have the same N = {:g}", pts.N[0]);
    SL_REQUIRE(count_distinct(pts.logD) >= 2,
               "data-constrained: degenerate design: all points have the same D = {:g}", pts.D[0]);
    int repeated = 0;
    for (size_t i = 0; i < pts.size(); ++i) repeated += (pts.U[i] > 0 && pts.U[i] < pts.D[i]);
    SL_REQUIRE(repeated >= 2,
               "data-constrained: {} points repeat data (U > 0 and D > U); R_D_star needs at least 2 "
               "(give the unique-token column U)", repeated);
  }

  std::map<std::string, double> derived(std::span<const double> p) const override {
    if (!(p[1] > 0 && p[2] > 0 && p[3] > 0 && p[4] > 0)) return {};
    ChinchillaAllocation al = chinchilla_allocation(p);  // for fresh data (U large)
    return {{"a", al.a}, {"b", al.b}, {"G", al.G}};
  }
};

}  // namespace

std::unique_ptr<Law> make_data_constrained_law(const LawOptions& options) {
  return std::make_unique<DataConstrainedLaw>(options);
}

}  // namespace scalelab::fit::detail
