// Shared by the fit layer's tests: FitResults built from known parameters, with
// synthetic bootstrap draws, so the forecast and allocation tests need no fitting; and
// input_error_message (tests/core/core_testing.h).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../core/core_testing.h"
#include "core/rng.h"
#include "fit/fit_result.h"
#include "fit/law.h"

namespace scalelab::fit::testing {

// Besiroglu et al. 2024's refit of the Chinchilla data: E, A, B, alpha, beta.
inline const std::vector<double> kEpoch = {1.817, 482.0, 2085.4, 0.3478, 0.3658};

// A fit of `law` at `params`, with `draws` bootstrap samples: each parameter times
// exp(rel * z), z standard normal (seeded).
inline FitResult make_fit(const std::string& law, const std::vector<double>& params, int draws = 0,
                          double rel = 0.02, const LawOptions& lo = {}) {
  FitResult r;
  r.law = law;
  r.law_options = lo;
  auto l = make_law(law, lo);
  r.formula = l->formula();
  r.names = l->param_names();
  r.params = params;
  r.approach = 3;
  r.bootstrap = draws;
  r.ci_level = 0.90;
  Rng rng(42);
  for (int k = 0; k < draws; ++k) {
    std::vector<double> s = params;
    for (double& v : s) v *= std::exp(rel * rng.normal());
    r.samples.push_back(s);
  }
  return r;
}

// An approach-1/2 style fit: N_opt = G (C/6)^a, D_opt = H (C/6)^b.
inline FitResult make_allocation_fit(double G, double a, int draws = 0) {
  FitResult r;
  r.approach = 2;
  r.names = {"G", "a", "H", "b"};
  r.params = {G, a, 1 / G, 1 - a};
  r.bootstrap = draws;
  Rng rng(7);
  for (int k = 0; k < draws; ++k) {
    double g = G * std::exp(0.1 * rng.normal()), e = a + 0.01 * rng.normal();
    r.samples.push_back({g, e, 1 / g, 1 - e});
  }
  return r;
}

using core_testing::input_error_message;

}  // namespace scalelab::fit::testing
