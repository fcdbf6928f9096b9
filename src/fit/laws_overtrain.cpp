// Gadre et al. 2024 ("Language models scale reliably with over-training and on downstream
// tasks", arXiv:2403.08540), eq. 4: the loss of a model trained M = D/N tokens per
// parameter at compute C = 6ND, over-trained or not:
//   L(C, M) = E + (a M^eta + b M^-eta) C^-eta
// which is Chinchilla's form (Hoffmann et al. 2022, eq. 2) with alpha = beta = 2 eta
// (a M^eta C^-eta = a 6^-eta N^-2eta), written so that the scaling exponent in C is one
// number, eta, whatever the over-training M. C is always 6ND here, as the paper's code
// computes it, whatever C column the data has.
//
// Fit space: e = log E, la = log a, lb = log b, eta; with log M = log D - log N and
// log C = log 6 + log N + log D,
//   log L = LSE(e, la + eta (log M - log C), lb - eta (log M + log C)),
// the same stable log-sum-exp as the Chinchilla law (law_families.h, lse3).
#include "core/error.h"
#include "core/training_compute.h"
#include "fit/law_families.h"

#include <cmath>

namespace scalelab::fit::detail {
namespace {

const double kLog6 = std::log(6.0);

class OvertrainLaw final : public Law {
 public:
  explicit OvertrainLaw(const LawOptions& o) : Law(o) {}

  std::string name() const override { return "overtrain"; }
  std::string formula() const override {
    return "L(N,D) = E + (a*M^eta + b*M^-eta)*C^-eta, M = D/N, C = 6ND (Gadre et al. 2024, eq. 4)";
  }
  std::vector<std::string> param_names() const override { return {"E", "a", "b", "eta"}; }
  std::vector<ParamScale> scales() const override {
    return {ParamScale::kLog, ParamScale::kLog, ParamScale::kLog, ParamScale::kLinear};
  }
  std::string columns() const override { return "ND"; }

  double predict(std::span<const double> p, const Observation& x) const override {
    double M = x.D / x.N, C = training_compute(x.N, x.D);
    return p[0] + (p[1] * std::pow(M, p[3]) + p[2] * std::pow(M, -p[3])) * std::pow(C, -p[3]);
  }

  // d L / d eta = a M^eta C^-eta log(M/C) - b M^-eta C^-eta log(M C).
  void gradient(std::span<const double> p, const Observation& x, std::span<double> g) const override {
    double logM = std::log(x.D / x.N), logC = kLog6 + std::log(x.N) + std::log(x.D);
    double ta = std::exp(p[3] * (logM - logC)), tb = std::exp(-p[3] * (logM + logC));
    g[0] = 1.0;
    g[1] = ta;
    g[2] = tb;
    g[3] = p[1] * ta * (logM - logC) - p[2] * tb * (logM + logC);
  }

  double log_predict_fit(std::span<const double> t, const Points& pts, size_t i,
                         std::span<double> g) const override {
    double logM = pts.logD[i] - pts.logN[i], logC = kLog6 + pts.logN[i] + pts.logD[i];
    double lse = lse3(t[1] + t[3] * (logM - logC), t[2] - t[3] * (logM + logC), t[0], g[1], g[2], g[0]);
    g[3] = g[1] * (logM - logC) - g[2] * (logM + logC);
    return lse;
  }

  // A Hoffmann-style grid (Appendix D.2) over the paper's ranges: E between e^-1 and e^1.5,
  // a and b over 20 decades in steps of e^2.5, eta from 0.05 to 0.5 (the three training
  // sets of Gadre et al. give eta = 0.12 to 0.14): 6 * 9 * 9 * 6 = 2,916 starts.
  std::vector<std::vector<double>> start_grid(const Points&) const override {
    std::vector<double> e = {-1, -0.5, 0, 0.5, 1, 1.5};
    std::vector<double> ab = {0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20};
    std::vector<double> eta = {0.05, 0.1, 0.15, 0.2, 0.3, 0.5};
    return grid_product({e, ab, ab, eta});
  }

  // a and b are told apart only by points at two or more over-training ratios M (at one
  // M, a M^eta + b M^-eta is a single constant), and eta needs two or more compute budgets.
  void check_design(const Points& pts) const override {
    Law::check_design(pts);
    std::vector<double> logM(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) logM[i] = pts.logD[i] - pts.logN[i];
    SL_REQUIRE(count_distinct(logM) >= 2,
               "overtrain: degenerate design: all {} points have the same tokens per parameter M = D/N = {:g}; "
               "a and b need points at two or more M (e.g. one over-trained run)", pts.size(),
               std::exp(logM[0]));
    SL_REQUIRE(count_distinct(pts.logN) >= 2,
               "overtrain: degenerate design: all {} points have the same N = {:g}; eta needs two or more "
               "model sizes", pts.size(), pts.N[0]);
  }

  // The compute-optimal tokens per parameter: d/dM (a M^eta + b M^-eta) = 0 at
  // M_opt = (b/a)^(1/(2 eta)), the same for every C (Gadre et al. 2024).
  std::map<std::string, double> derived(std::span<const double> p) const override {
    if (!(p[1] > 0 && p[2] > 0 && p[3] > 0)) return {};
    return {{"M_opt", std::pow(p[2] / p[1], 1 / (2 * p[3]))}};
  }
};

}  // namespace

std::unique_ptr<Law> make_overtrain_law(const LawOptions& options) {
  return std::make_unique<OvertrainLaw>(options);
}

}  // namespace scalelab::fit::detail
