// defines: scalelab::fit::ComputeOptimal, scalelab::fit::ChinchillaAllocation,
//          scalelab::fit::chinchilla_allocation, scalelab::fit::chinchilla_optimal,
//          scalelab::fit::percentile_interval, scalelab::fit::standard_error
//
// Closed forms of the Chinchilla law used by the fit summary and by allocation, and the
// bootstrap statistics shared by every quantity that gets a confidence interval.
//
//   // params in make_law("chinchilla") order: E, A, B, alpha, beta
//   ComputeOptimal opt = chinchilla_optimal(result.params, 1e24);  // opt.N * opt.D * 6 == 1e24
//   auto [lo, hi] = percentile_interval(draws, 0.90);
//
// Hoffmann et al. 2022, eq. 4: minimising E + A/N^alpha + B/D^beta along C = 6 N D gives
//   N_opt(C) = G (C/6)^a,  D_opt(C) = G^-1 (C/6)^b,
//   a = beta/(alpha+beta),  b = alpha/(alpha+beta),  G = (alpha A / (beta B))^(1/(alpha+beta)).
#pragma once

#include <array>
#include <span>
#include <vector>

namespace scalelab::fit {

struct ComputeOptimal {
  double N = 0;  // parameters
  double D = 0;  // tokens; 6 N D = C
};

struct ChinchillaAllocation {
  double a = 0, b = 0, G = 0;  // exponents and coefficient of Hoffmann et al. 2022, eq. 4
};

// From natural Chinchilla params {E, A, B, alpha, beta}; InputError unless A, B, alpha,
// beta > 0 (otherwise no finite optimum exists along C = 6ND).
ChinchillaAllocation chinchilla_allocation(std::span<const double> params);
ComputeOptimal chinchilla_optimal(std::span<const double> params, double C);

// Two-sided percentile interval at `level` (0.90 -> 5th and 95th percentiles), linear
// interpolation between order statistics (Hyndman and Fan 1996, type 7). Non-finite draws
// are ignored; InputError when none are left.
std::array<double, 2> percentile_interval(std::vector<double> draws, double level);
// Sample standard deviation (n - 1) of the finite draws.
double standard_error(std::span<const double> draws);

}  // namespace scalelab::fit
