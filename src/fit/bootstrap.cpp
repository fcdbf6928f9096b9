// Bootstrap refits with warm starts, percentile CIs and SEs (see bootstrap.h).
#include "fit/bootstrap.h"

#include "core/error.h"
#include "core/rng.h"
#include "fit/derived.h"
#include "fit/multistart.h"

#include <omp.h>

#include <cmath>
#include <map>

namespace scalelab::fit {
namespace {

// Resampling units: each non-empty run name is one unit; a point with no run is its own.
std::vector<std::vector<size_t>> resampling_units(const Points& pts) {
  std::vector<std::vector<size_t>> units;
  std::map<std::string, size_t> by_run;
  for (size_t i = 0; i < pts.size(); ++i) {
    const std::string& run = pts.at(i).run;
    if (run.empty()) {
      units.push_back({i});
      continue;
    }
    auto [it, fresh] = by_run.emplace(run, units.size());
    if (fresh) units.emplace_back();
    units[it->second].push_back(i);
  }
  if (units.size() == 1) {  // one run: resample its points instead
    units.clear();
    for (size_t i = 0; i < pts.size(); ++i) units.push_back({i});
  }
  return units;
}

std::vector<double> weights_from(const std::vector<std::vector<size_t>>& units, size_t n, Rng& rng) {
  std::vector<double> w(n, 0.0);
  for (size_t k = 0; k < units.size(); ++k)
    for (size_t i : units[rng.below(units.size())]) w[i] += 1.0;
  return w;
}

}  // namespace

std::vector<double> bootstrap_weights(const Points& pts, uint64_t seed, uint64_t draw) {
  Rng rng = Rng(seed).split(draw);
  return weights_from(resampling_units(pts), pts.size(), rng);
}

void bootstrap_refit(const Law& law, const Points& pts, const FitOptions& options, FitResult& fit) {
  const int K = options.bootstrap;
  const size_t p = fit.params.size();
  fit.bootstrap = K;
  fit.seed = options.seed;
  fit.ci_level = options.ci_level;
  fit.samples.assign(K, std::vector<double>(p, std::nan("")));
  if (K == 0) return;
  std::vector<double> theta_hat(p);
  law.to_fit(fit.params, theta_hat);
  const auto units = resampling_units(pts);
  int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const SolverOptions solver = solver_options(options);
  int failed = 0;
#pragma omp parallel for schedule(dynamic, 2) num_threads(threads) reduction(+ : failed)
  for (int b = 0; b < K; ++b) {
    Rng rng = Rng(options.seed).split(static_cast<uint64_t>(b));
    std::vector<double> w = weights_from(units, pts.size(), rng);
    StartOutcome best = solve_from(law, pts, w, theta_hat, options, solver);
    // Perturbed starts guard against the resample's optimum lying in another basin:
    // theta_j + 0.05 max(1, |theta_j|) z, z ~ N(0, 1).
    for (int s = 0; s < options.bootstrap_extra_starts; ++s) {
      std::vector<double> start(theta_hat);
      for (size_t j = 0; j < p; ++j) start[j] += 0.05 * std::max(1.0, std::fabs(start[j])) * rng.normal();
      StartOutcome o = solve_from(law, pts, w, start, options, solver);
      if (o.cost < best.cost) best = std::move(o);
    }
    if (std::isfinite(best.cost)) {
      law.to_natural(best.theta, fit.samples[b]);
    } else {
      ++failed;
    }
  }
  if (failed > 0)
    fit.message += fmt::format("; {} of {} bootstrap refits failed and are left out of the CIs", failed, K);
  summarise_samples(law, fit);
}

void summarise_samples(const Law& law, FitResult& fit) {
  fit.ci.clear();
  fit.se.clear();
  if (fit.samples.empty()) return;
  std::map<std::string, std::vector<double>> draws;
  for (const auto& s : fit.samples) {
    bool ok = true;
    for (double v : s) ok = ok && std::isfinite(v);
    if (!ok) continue;
    for (size_t j = 0; j < fit.names.size(); ++j) draws[fit.names[j]].push_back(s[j]);
    for (const auto& [k, v] : law.derived(s)) draws[k].push_back(v);
  }
  for (const auto& [k, v] : draws) {
    if (v.size() < 2) continue;
    fit.ci[k] = percentile_interval(v, fit.ci_level);
    fit.se[k] = standard_error(v);
  }
}

}  // namespace scalelab::fit
