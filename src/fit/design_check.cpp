// Expected precision of a design (design_check.h): the Fisher information of the fit in
// fit space, eigen-decomposed so that directions the design cannot see show up as
// unidentified parameters instead of as a numerically meaningless inverse.
#include "fit/design_check.h"

#include <Eigen/Dense>

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "core/training_compute.h"

namespace scalelab::fit {
namespace {

constexpr double kZ90 = 1.6448536269514722;  // the standard normal's 95th percentile
constexpr double kInf = std::numeric_limits<double>::infinity();
// Eigenvalues below this fraction of the largest are directions the design does not see.
constexpr double kSingular = 1e-12;

// Row i of J: d log L-hat / d theta at the point.
Eigen::VectorXd jacobian_row(const Law& law, const std::vector<double>& theta, const Points& pts, size_t i) {
  std::vector<double> g(theta.size());
  law.log_predict_fit(theta, pts, i, g);
  return Eigen::Map<const Eigen::VectorXd>(g.data(), static_cast<Eigen::Index>(g.size()));
}

// Observations with a positive loss, so that every log column Points computes is finite.
Points points_of(Observations obs) {
  for (Observation& o : obs) {
    if (o.loss <= 0) o.loss = 1;
    if (o.C <= 0) o.C = training_compute(o.N, o.D);
  }
  return Points::from(obs);
}

}  // namespace

std::string DesignPrior::describe() const {
  return fmt::format("a Chinchilla world with alpha = {:g}, beta = {:g}, and E, A/N^alpha, B/D^beta making up {:.0f}%, "
                     "{:.0f}%, {:.0f}% of the loss at the ladder's centre",
                     alpha, beta, 100 * share_E, 100 * share_N, 100 * share_D);
}

DesignPrior chinchilla_prior(const Observations& design, DesignPrior prior) {
  SL_REQUIRE(!design.empty(), "design check: the ladder has no runs");
  double log_n = 0, log_d = 0;
  for (const Observation& o : design) log_n += std::log(o.N), log_d += std::log(o.D);
  const double n_centre = std::exp(log_n / design.size()), d_centre = std::exp(log_d / design.size());
  prior.params = {prior.share_E, prior.share_N * std::pow(n_centre, prior.alpha),
                  prior.share_D * std::pow(d_centre, prior.beta), prior.alpha, prior.beta};
  return prior;
}

DesignCheck check_design_precision(const Law& law, const std::vector<double>& params, const Observations& design,
                                   const Observations& targets, double noise) {
  const int k = law.dim();
  SL_REQUIRE(noise > 0, "design check: the noise must be > 0, got {}", noise);
  SL_REQUIRE(static_cast<int>(design.size()) >= k, "design check: {} runs cannot determine the {} parameters of {}",
             design.size(), k, law.name());
  SL_ASSERT(static_cast<int>(params.size()) == k);
  std::vector<double> theta(k);
  law.to_fit(params, theta);

  const Points pts = points_of(design);
  Eigen::MatrixXd jtj = Eigen::MatrixXd::Zero(k, k);
  for (size_t i = 0; i < pts.size(); ++i) {
    const Eigen::VectorXd row = jacobian_row(law, theta, pts, i);
    jtj += row * row.transpose();
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(jtj);
  const Eigen::VectorXd& lambda = eig.eigenvalues();  // ascending
  const Eigen::MatrixXd& v = eig.eigenvectors();
  const double top = lambda(k - 1);
  DesignCheck out;
  out.condition = lambda(0) > kSingular * top ? top / lambda(0) : kInf;

  // Variance of u . theta-hat: sigma^2 sum_j (u . v_j)^2 / lambda_j, infinite when u leans
  // on a direction the design does not see.
  auto variance = [&](const Eigen::VectorXd& u) {
    double var = 0;
    for (int j = 0; j < k; ++j) {
      const double proj = u.dot(v.col(j));
      if (lambda(j) <= kSingular * top) {
        if (std::fabs(proj) > 1e-6 * u.norm()) return kInf;
        continue;
      }
      var += proj * proj / lambda(j);
    }
    return noise * noise * var;
  };
  const std::vector<std::string> names = law.param_names();
  const std::vector<ParamScale> scales = law.scales();
  for (int j = 0; j < k; ++j) {
    const double se = std::sqrt(variance(Eigen::VectorXd::Unit(k, j)));
    const double hw = scales[j] == ParamScale::kLog ? std::expm1(kZ90 * se) : kZ90 * se / std::fabs(params[j]);
    out.params.push_back({names[j], params[j], hw});
  }
  const Points target_pts = points_of(targets);
  for (size_t i = 0; i < target_pts.size(); ++i) {
    const double se = std::sqrt(variance(jacobian_row(law, theta, target_pts, i)));
    out.forecasts.push_back({targets[i].run, law.predict(params, target_pts.at(i)), std::expm1(kZ90 * se)});
  }
  return out;
}

}  // namespace scalelab::fit
