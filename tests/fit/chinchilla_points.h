// defines: scalelab::fit::testing::load_chinchilla_points (test helper)
//
// The 245 Chinchilla points of tests/data/chinchilla_points.csv (Besiroglu et al. 2024's
// extraction from Hoffmann et al. 2022, Figure 4), as Observations with D = C / (6 N).
// drop_top_loss = 5 reproduces Besiroglu et al.'s exclusion (240 points left).
#pragma once

#include "fit/observations.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace scalelab::fit::testing {

inline Observations load_chinchilla_points(const std::string& path, int drop_top_loss = 5) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);  // header: Model Size,Training FLOP,loss
  Observations obs;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string a, b, c;
    std::getline(ss, a, ',');
    std::getline(ss, b, ',');
    std::getline(ss, c, ',');
    Observation o;
    o.N = std::stod(a);
    o.C = std::stod(b);
    o.loss = std::stod(c);
    o.D = o.C / (6.0 * o.N);
    obs.push_back(o);
  }
  // Remove the drop_top_loss highest losses, keeping the file's order for the rest.
  for (int k = 0; k < drop_top_loss && !obs.empty(); ++k)
    obs.erase(std::max_element(obs.begin(), obs.end(),
                               [](const Observation& x, const Observation& y) { return x.loss < y.loss; }));
  return obs;
}

}  // namespace scalelab::fit::testing
