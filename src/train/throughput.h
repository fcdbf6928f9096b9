// defines: scalelab::StepTiming, scalelab::time_train_steps, scalelab::measure_throughput
//
// Training throughput of one model shape, timed cleanly: each step is what the trainer
// does (zero_grad; forward_backward on B x T random tokens; grad_norm; clip to 1;
// adamw_step) without data loading, evaluation or logging. bench/train_step.cpp reports
// it; the sweep planner (sweep/planner.h) probes each shape with a few steps to estimate
// run times.
//
//   StepTiming t = measure_throughput(cfg, /*batch=*/16, /*threads=*/1, /*warmup=*/1, /*steps=*/2);
//   double eta = tokens / t.tokens_per_second;
#pragma once

#include <cstdint>

namespace scalelab {

class Gpt;
struct ModelConfig;

struct StepTiming {
  double seconds = 0;            // the timed steps, warm-up excluded
  double tokens_per_second = 0;  // B * T * steps / seconds
  double last_loss = 0;          // loss of the last step (random tokens: about ln V)
};

// `warmup` untimed then `steps` timed steps on `gpt` (already initialised), with a batch
// of B sequences of T random tokens below `vocab`.
StepTiming time_train_steps(Gpt& gpt, int B, int T, int64_t vocab, int warmup, int steps);

// A fresh model of this shape on the CPU backend with `threads` threads.
StepTiming measure_throughput(const ModelConfig& cfg, int batch, int threads, int warmup, int steps);

}  // namespace scalelab
