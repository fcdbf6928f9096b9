// defines: scalelab::fit::fit_parametric
//
// Approach 3 of Hoffmann et al. 2022 (section 3.3, Appendix D.2): fit a parametric law
// directly to every (N, D, loss) point by minimising the summed Huber loss of log-loss
// residuals from a grid of starts, keeping the best; with FitOptions::bootstrap > 0 also
// refit resamples (bootstrap.h) for percentile CIs and standard errors, as Besiroglu et
// al. 2024 do.
//
//   auto law = make_law("chinchilla");
//   FitOptions opt;  opt.bootstrap = 200;
//   FitResult r = fit_parametric(*law, observations, opt);
//   // r.params = {E, A, B, alpha, beta}; r.derived["a"]; r.ci["alpha"]; r.se["E"]
//
// Throws InputError naming the law when the points cannot determine it (Law::check_design),
// when an observation is non-finite or non-positive in a column the law uses, and when no
// start converges (never a silent garbage fit).
#pragma once

#include "fit/fit_result.h"
#include "fit/law.h"
#include "fit/observations.h"

namespace scalelab::fit {

FitResult fit_parametric(const Law& law, const Observations& obs, const FitOptions& options);

}  // namespace scalelab::fit
