// defines: scalelab::probe::spearman, trend_word
//
// How the probes' sentences describe a trend with scale: by rank correlation, so that
// a sentence says "rises with N" only when the data does.
//
//   double rho = spearman(Ns, scores);      // in [-1, 1]; NaN with < 3 points
//   trend_word(rho, "rises", "falls");     // "rises", "falls" or "shows no clear trend"
#pragma once

#include <span>
#include <string>

namespace scalelab::probe {

// Spearman's rank correlation (ties get their mean rank); NaN for < 3 points or a
// constant series.
double spearman(std::span<const double> x, std::span<const double> y);

// up when rho >= 0.6, down when rho <= -0.6, otherwise "shows no clear trend".
std::string trend_word(double rho, const std::string& up, const std::string& down);

}  // namespace scalelab::probe
