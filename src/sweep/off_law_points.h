// defines: scalelab::sweep::OffLawPoint, find_off_law_points
//
// Final points a loss law of (N, D) cannot describe, found before the fit so that they do
// not bend it. Every law the sweep fits has a loss that falls with N at a fixed token
// budget and with D at a fixed size (Kaplan et al. 2020; Hoffmann et al. 2022, eq. 2), so
//   - a model that ends above a smaller one trained on the same tokens has not left the
//     pre-law plateau (a large model learns slowly at first), and
//   - a size that ends above its own shorter run has met something the law does not model
//     (data repeated for too many epochs, an unstable run).
// Rises within `tolerance` (relative) are left alone: final losses are noisy, and small
// rises are in published data too (Gadre et al. 2024's runs; shared/data/gadre2024).
//
//   for (const OffLawPoint& p : find_off_law_points(points)) ... p.run, p.why
#pragma once

#include <string>
#include <vector>

#include "fit/observations.h"

namespace scalelab::sweep {

struct OffLawPoint {
  std::string run;
  std::string why;  // one clause, e.g. "its loss 2.42 is 11% above n14.5k's 2.17 at the same 2M tokens"
};

std::vector<OffLawPoint> find_off_law_points(const fit::Observations& points, double tolerance = 0.01);

}  // namespace scalelab::sweep
