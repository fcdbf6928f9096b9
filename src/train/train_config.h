// defines: scalelab::TrainConfig
//
// The [train] section of a run config: optimizer (AdamW), schedule, length, evaluation,
// checkpointing and the device. Every key has a default, so `--set` alone is enough; the
// [model] section is ModelConfig (model/model_config.h) and the [data] section is
// data::DataConfig (data/data_config.h); run_config.h puts the three together.
//
//   TrainConfig t;
//   ConfigBinder b; t.bind(b);            // keys train.lr, train.batch_size, ...
//   b.apply_set("train.tokens=2e6");
//   t.validate();                         // InputError naming the field
//   int64_t steps = t.total_steps(model.seq_len);
//
// Length: give train.steps or train.tokens, not both. Tokens become steps as
//   steps = ceil(tokens / (batch_size * grad_accum * seq_len));
// with neither, kDefaultSteps steps are trained.
#pragma once

#include <cstdint>
#include <string>

#include "train/schedule.h"

namespace scalelab {

class ConfigBinder;

struct TrainConfig {
  static constexpr int64_t kDefaultSteps = 200;

  // ---- batch and length -----------------------------------------------------------
  int64_t batch_size = 16;  // sequences per micro-batch
  int64_t grad_accum = 1;   // micro-batches per optimizer step
  int64_t steps = 0;        // optimizer steps; 0 = not given
  int64_t tokens = 0;       // training tokens (targets); 0 = not given

  // ---- schedule (train/schedule.h) -------------------------------------------------
  double lr = 1e-3;                        // peak learning rate
  double min_lr_ratio = 0.1;               // floor = min_lr_ratio * lr (cosine, WSD)
  std::string schedule = "cosine";         // "cosine" | "wsd" | "constant"
  int64_t warmup_steps = 10;               // linear warm-up from lr / warmup_steps
  double wsd_cooldown_fraction = 0.2;      // WSD: share of the steps spent cooling down
  std::string wsd_cooldown_shape = "1-sqrt";  // WSD cooldown: "linear" | "1-sqrt"

  // ---- AdamW (Loshchilov and Hutter 2019) ------------------------------------------
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;     // decoupled; matrices only (model/init.h decays())
  bool decay_embeddings = false; // also decay wte and wpe
  double grad_clip = 1.0;        // global gradient-norm clip; 0 = off

  // ---- run -------------------------------------------------------------------------
  int64_t seed = 1337;           // initialisation and batch order
  int64_t eval_every = 100;      // steps between validations (and one at the end); 0 = end only
  int64_t threads = 0;           // CPU threads; 0 = all cores. Losses are bit-identical per thread count
  std::string device = "cpu";    // backend (backend/backend.h make_backend): "cpu" or "cuda"
  std::string precision = "auto";  // "auto" (cpu: fp32, cuda: bf16), "fp32", "tf32", "bf16"
  int64_t checkpoint_every = 0;  // steps between checkpoints; 0 = only at the end
  int64_t log_every = 1;         // steps between log lines on stderr and metrics.jsonl lines
  int64_t snapshots = 0;         // copies of the state kept for probes (train/snapshots.h); 0 = none

  void bind(ConfigBinder& b);
  // Range checks of this section alone; InputError naming the field.
  void validate() const;

  // Target tokens per optimizer step: batch_size * grad_accum * seq_len.
  int64_t tokens_per_step(int64_t seq_len) const { return batch_size * grad_accum * seq_len; }
  // Steps to train (see the header comment).
  int64_t total_steps(int64_t seq_len) const;
  ScheduleConfig schedule_config(int64_t total_steps) const;
};

}  // namespace scalelab
