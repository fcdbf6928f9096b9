// defines: scalelab::fit::testing::load_chinchilla_points (test helper)
//
// The 245 Chinchilla points of tests/data/chinchilla_points.csv (Besiroglu et al. 2024's
// extraction from Hoffmann et al. 2022, Figure 4), as Observations with D = C / (6 N),
// read by the fit layer's own reader (fit/observations_io.h) with the file's column names.
// drop_top_loss = 5 reproduces Besiroglu et al.'s exclusion (240 points left).
#pragma once

#include <string>

#include "fit/observations_io.h"

namespace scalelab::fit::testing {

inline Observations load_chinchilla_points(const std::string& path, int drop_top_loss = 5) {
  ReadOptions opt;
  opt.cols.N = "Model Size";
  opt.cols.C = "Training FLOP";
  opt.drop_top_loss = drop_top_loss;
  return read_observations(path, opt);
}

}  // namespace scalelab::fit::testing
