// defines: scalelab::fit::bootstrap_weights, scalelab::fit::bootstrap_refit,
//          scalelab::fit::summarise_samples
//
// Nonparametric bootstrap (Efron 1979) of an approach-3 fit, as Besiroglu et al. 2024 do
// for the Chinchilla law: resample the data with replacement, refit, and read percentile
// intervals and standard errors off the refits. Points that share a non-empty `run` are
// resampled together (a loss curve is one unit, its points are not independent) when there
// is more than one run; otherwise single points are resampled. A resample is a vector of
// integer weights (times each point was drawn), so the data are never copied.
//
// Determinism: draw b uses Rng(seed).split(b) for its weights and perturbed starts and is
// stored at index b, so the draws do not depend on the thread count.
//
//   FitResult r = ...;                       // full-data fit, r.params at the optimum
//   bootstrap_refit(law, pts, options, r);   // fills r.samples, r.ci, r.se, r.bootstrap
#pragma once

#include "fit/fit_result.h"
#include "fit/law.h"

#include <cstdint>
#include <vector>

namespace scalelab::fit {

// Weights of resample `draw` (point i drawn w[i] times; the weights sum to the point count
// when resampling points, and to the points of the drawn runs when resampling runs).
std::vector<double> bootstrap_weights(const Points& pts, uint64_t seed, uint64_t draw);

// options.bootstrap refits of `fit` (which must hold the full-data optimum), each started
// from that optimum plus options.bootstrap_extra_starts perturbed copies; fills samples,
// ci and se for every parameter and derived quantity.
void bootstrap_refit(const Law& law, const Points& pts, const FitOptions& options, FitResult& fit);

// Percentile CIs and SEs of fit.samples (and of law.derived of each sample) at fit.ci_level.
void summarise_samples(const Law& law, FitResult& fit);

}  // namespace scalelab::fit
