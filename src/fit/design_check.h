// defines: scalelab::fit::DesignPrior, ParamPrecision, DesignCheck, chinchilla_prior,
//          check_design_precision
//
// How well a ladder of (N, D) points will determine a law, before anything is trained.
// At the points of the design and a prior law (the "world" the runs are expected to
// follow), the fit's Fisher information is F = J^T J / sigma^2, with J the Jacobian of
// log L-hat in the fit space and sigma the noise of the final losses as a fraction of the
// loss (the fit works on log-loss residuals, objective.h). Its inverse is the covariance
// of least-squares estimates to first order (the Cramer-Rao bound; e.g. Seber and Wild,
// "Nonlinear Regression", 2003, sec. 2.1), so 1.645 standard errors give the expected
// half-width of a 90% interval of each parameter and of each forecast: the widths a
// bootstrap of the finished ladder would show, to first order. A direction of theta the
// design does not see (a near-zero eigenvalue of J^T J) makes the parameters along it
// unidentified: their widths come out infinite.
//
//   DesignPrior prior = chinchilla_prior(design);              // a world of the demo's shape
//   DesignCheck c = check_design_precision(*make_law("chinchilla"), prior.params, design,
//                                          targets, 0.01);
//   c.params[3].half_width   // relative 90% half-width of alpha, e.g. 0.12 = +-12%
#pragma once

#include <string>
#include <vector>

#include "fit/law.h"
#include "fit/observations.h"

namespace scalelab::fit {

// A prior Chinchilla world scaled to a design: exponents alpha and beta, and the shares of
// the loss that E, A/N^alpha and B/D^beta make up at the design's centre (geometric means
// of its N and D). Only shares and exponents matter: the check works on relative errors.
struct DesignPrior {
  double alpha = 0.3, beta = 0.3;
  double share_E = 0.5, share_N = 0.25, share_D = 0.25;
  std::vector<double> params;  // {E, A, B, alpha, beta}, filled by chinchilla_prior
  std::string describe() const;  // one line, for the plan's output
};

// The prior's natural parameters for `design` (loss level 1 at its centre; any level gives
// the same relative widths).
DesignPrior chinchilla_prior(const Observations& design, DesignPrior prior = {});

struct ParamPrecision {
  std::string name;
  double value = 0;
  // Expected relative 90% half-width: +-half_width * value (a log-scale parameter p: the
  // upper side, exp(1.645 se(log p)) - 1). Infinite when the design does not identify it.
  double half_width = 0;
};

struct DesignCheck {
  std::vector<ParamPrecision> params;     // in the law's order
  std::vector<ParamPrecision> forecasts;  // one per target, name = its run, value = predicted loss
  double condition = 0;                   // largest / smallest eigenvalue of J^T J (inf: singular)
};

// InputError when the design has fewer points than the law has parameters or `noise` <= 0.
DesignCheck check_design_precision(const Law& law, const std::vector<double>& params, const Observations& design,
                                   const Observations& targets, double noise);

}  // namespace scalelab::fit
