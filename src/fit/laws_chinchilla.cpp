// Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models"), eq. 2:
//   L(N, D) = E + A / N^alpha + B / D^beta
// fitted in the log-sum-exp form of their Appendix D.2 (eq. 8):
//   log L = LSE(a - alpha log N, b - beta log D, e),  A = e^a, B = e^b, E = e^e,
// from their grid of 4,500 starts (alpha, beta in {0, 0.5, .., 2}; e in {-1, -.5, .., 1};
// a, b in {0, 5, .., 25}), as replicated by Besiroglu et al. 2024.
#include "core/error.h"
#include "fit/derived.h"
#include "fit/law_families.h"
#include "fit/objective.h"

#include <cmath>

namespace scalelab::fit::detail {
namespace {

class ChinchillaLaw final : public Law {
 public:
  explicit ChinchillaLaw(const LawOptions& o) : Law(o) {}

  std::string name() const override { return "chinchilla"; }
  std::string formula() const override { return "L(N,D) = E + A/N^alpha + B/D^beta"; }
  std::vector<std::string> param_names() const override { return {"E", "A", "B", "alpha", "beta"}; }
  std::vector<ParamScale> scales() const override {
    return {ParamScale::kLog, ParamScale::kLog, ParamScale::kLog, ParamScale::kLinear,
            ParamScale::kLinear};
  }
  std::string columns() const override { return "ND"; }

  double predict(std::span<const double> p, const Observation& x) const override {
    return p[0] + p[1] * std::pow(x.N, -p[3]) + p[2] * std::pow(x.D, -p[4]);
  }

  void gradient(std::span<const double> p, const Observation& x, std::span<double> g) const override {
    double tn = std::pow(x.N, -p[3]), td = std::pow(x.D, -p[4]);
    g[0] = 1.0;
    g[1] = tn;
    g[2] = td;
    g[3] = -p[1] * tn * std::log(x.N);
    g[4] = -p[2] * td * std::log(x.D);
  }

  double log_predict_fit(std::span<const double> t, const Points& pts, size_t i,
                         std::span<double> g) const override {
    double lse = lse3(t[1] - t[3] * pts.logN[i], t[2] - t[4] * pts.logD[i], t[0], g[1], g[2], g[0]);
    g[3] = -g[1] * pts.logN[i];
    g[4] = -g[2] * pts.logD[i];
    return lse;
  }

  double objective(std::span<const double> theta, const Points& pts, std::span<const double> w,
                   double delta, std::span<double> grad) const override {
    return chinchilla_objective(theta, pts, w, delta, grad);
  }

  std::vector<std::vector<double>> start_grid(const Points&) const override {
    std::vector<double> ab = {0, 5, 10, 15, 20, 25};
    std::vector<double> e = {-1, -0.5, 0, 0.5, 1};
    std::vector<double> ex = {0, 0.5, 1, 1.5, 2};
    // fit-space order {e, a, b, alpha, beta}: 5 * 6 * 6 * 5 * 5 = 4,500 starts
    return grid_product({e, ab, ab, ex, ex});
  }

  void check_design(const Points& pts) const override {
    Law::check_design(pts);
    int dn = count_distinct(pts.logN), dd = count_distinct(pts.logD);
    SL_REQUIRE(dn >= 2, "chinchilla: degenerate design: all {} points have the same N = {:g}; "
               "alpha and A need at least 2 (better 3+) model sizes", pts.size(), pts.N[0]);
    SL_REQUIRE(dd >= 2, "chinchilla: degenerate design: all {} points have the same D = {:g}; "
               "beta and B need at least 2 (better 3+) token counts", pts.size(), pts.D[0]);
    SL_REQUIRE(abs_correlation(pts.logN, pts.logD) < 1 - 1e-9,
               "chinchilla: degenerate design: log D is an exact linear function of log N over "
               "all points (e.g. a fixed tokens-per-parameter ratio), so N and D effects cannot be "
               "told apart; vary D at fixed N");
  }

  std::map<std::string, double> derived(std::span<const double> p) const override {
    if (!(p[1] > 0 && p[2] > 0 && p[3] > 0 && p[4] > 0)) return {};
    ChinchillaAllocation al = chinchilla_allocation(p);
    return {{"a", al.a}, {"b", al.b}, {"G", al.G}};
  }
};

}  // namespace

std::unique_ptr<Law> make_chinchilla_law(const LawOptions& options) {
  return std::make_unique<ChinchillaLaw>(options);
}

}  // namespace scalelab::fit::detail
