// defines: scalelab::kComputeConvention, kFlopsPerParamToken, training_compute,
//          tokens_at_compute, params_at_compute, inference_compute
//
// Training compute under scalelab's one named convention, "6ND": 6 FLOPs per parameter per
// training token, 2 in the forward pass and 4 in the backward (Kaplan et al. 2020, sec.
// 2.1), with N the non-embedding parameters and attention's context-dependent FLOPs left
// out; Hoffmann et al. 2022 (sec. 3) and Gadre et al. 2024 count the same way. Every layer
// that turns (N, D) into C, or C back into N or D, calls these, and a run records the name
// with its compute (summary.json: "flops", "flops_convention") so a report can say which
// count its axes use. (The trainer also records the full count with attention,
// model/accounting.h, as "flops_full".)
//
//   double C = training_compute(N, D);       // 6 N D
//   double D = tokens_at_compute(C, N);      // C / (6 N)
#pragma once

namespace scalelab {

inline constexpr const char* kComputeConvention = "6ND";
inline constexpr double kFlopsPerParamToken = 6.0;

inline double training_compute(double N, double D) { return kFlopsPerParamToken * N * D; }
inline double tokens_at_compute(double C, double N) { return C / (kFlopsPerParamToken * N); }
inline double params_at_compute(double C, double D) { return C / (kFlopsPerParamToken * D); }
// Serving D tokens costs 2 N D (the forward pass alone; Kaplan et al. 2020, sec. 2.1).
inline double inference_compute(double N, double D) { return 2.0 * N * D; }

}  // namespace scalelab
