// defines: scalelab::fit::InferenceAware, inference_optimal, tokens_for_loss,
//          allocate_compute_optimal, allocate_inference_aware, allocate_data_constrained
//
// Splitting a compute budget between parameters N and tokens D, from a fit:
//
//   FitResult fit = FitResult::from_json(read_json_file("fit.json"));
//   Estimates a = allocate_compute_optimal(fit, 5.76e23);        // N_opt, D_opt, loss, ...
//   Estimates b = allocate_inference_aware(fit, 5.76e23, 0, 2e12); // + saving vs a
//   Estimates c = allocate_data_constrained(fit, 5.76e23, 3e11);  // D capped at U
//
// - Compute-optimal (Hoffmann et al. 2022): least loss on C = 6 N D (forecast.h:
//   FitModel::optimal; closed form for the Chinchilla law).
// - Inference-aware (Sardana et al. 2023, "Beyond Chinchilla-Optimal", eq. 2): at a fixed
//   loss target l, minimise training plus inference FLOPs 6 N D_train + 2 N D_inf subject to
//   L(N, D_train) = l. The target is the compute-optimal loss at the budget (or a given
//   target); the baseline is the compute-optimal model reaching that same loss, whose total
//   is 6 N* D* + 2 N* D_inf; saving = 1 - total / baseline_total.
// - Data-constrained with U unique tokens: with the data-constrained law (Muennighoff et
//   al. 2023, eqs. 5-6) the law itself prices repeated epochs and parameters beyond the
//   compute-optimal size for U (a kink in the loss along the line), so the allocation is the
//   numeric minimum along C = 6 N D with that U. With any other law we do not extrapolate
//   repetition: D is capped at U (one epoch) and the rest of the budget goes to N = C/(6U)
//   (at fixed D the loss falls with N, so this is the best allocation without repeats).
#pragma once

#include <span>

#include "fit/fit_result.h"
#include "fit/forecast.h"

namespace scalelab::fit {

struct InferenceAware {
  double N = 0, D_train = 0;           // the inference-aware model
  double train_flops = 0, inference_flops = 0, total = 0;  // 6 N D_train, 2 N D_inf, sum
  double baseline_N = 0, baseline_D = 0, baseline_total = 0;  // compute-optimal at the same loss
  double saving = 0;                   // 1 - total / baseline_total, in [0, 1)
};

// D with L(N, D) = target for this N (closed form for Chinchilla, bisection in log D
// otherwise); +inf when even D = e^90 tokens does not reach the target at this N.
double tokens_for_loss(const FitModel& m, std::span<const double> p, double N, double target, double U = 0);

// The inference-aware optimum at loss `target` with D_inf inference tokens (>= 0), given
// the compute-optimal baseline reaching it. InputError when no interior optimum exists.
InferenceAware inference_optimal(const FitModel& m, std::span<const double> p, double target, double D_inf,
                                 const ComputeOptimal& baseline, double U = 0);

// N_opt, D_opt, tokens_per_param, and (with a loss law) loss at budget C; InputError for
// a law in C alone.
Estimates allocate_compute_optimal(const FitResult& fit, double C);
// The target loss is `target_loss` if > 0, else the compute-optimal loss at budget C.
// Estimates: target_loss, N, D_train, tokens_per_param, train_flops, inference_flops,
// total_flops, baseline_N, baseline_D, baseline_total_flops, saving.
Estimates allocate_inference_aware(const FitResult& fit, double C, double target_loss, double D_inf);
// Estimates: N, D, epochs (D / U), capped (1 when D was capped at U, per draw; the CI of
// this 0/1 quantity shows how often), and loss with a loss law.
Estimates allocate_data_constrained(const FitResult& fit, double C, double U);

}  // namespace scalelab::fit
