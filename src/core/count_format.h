// defines: scalelab::short_count
//
// Counts (parameters, tokens, FLOPs) in the short form used in run names and sentences.
//
//   short_count(25000);   // "25k"
//   short_count(1.5e6);   // "1.5M"
#pragma once

#include <string>

namespace scalelab {

// Three significant digits and a k/M/G/T/P suffix; file-name safe.
std::string short_count(double x);

}  // namespace scalelab
