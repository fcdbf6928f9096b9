#include "train/train_config.h"

#include <cmath>

#include "backend/backend.h"
#include "core/config.h"
#include "core/error.h"

namespace scalelab {

void TrainConfig::bind(ConfigBinder& b) {
  b.bind("train.batch_size", &batch_size, "sequences per micro-batch");
  b.bind("train.grad_accum", &grad_accum, "micro-batches per optimizer step");
  b.bind("train.steps", &steps, "optimizer steps; 0 = not given (then train.tokens decides, or 200 steps)");
  b.bind("train.tokens", &tokens, "training tokens, rounded up to whole steps; 0 = not given (exclusive with train.steps)");
  b.bind("train.lr", &lr, "peak learning rate");
  b.bind("train.min_lr_ratio", &min_lr_ratio, "schedule floor as a fraction of lr, [0, 1]");
  b.bind("train.schedule", &schedule, "\"cosine\", \"wsd\" or \"constant\"");
  b.bind("train.warmup_steps", &warmup_steps, "linear warm-up steps");
  b.bind("train.wsd_cooldown_fraction", &wsd_cooldown_fraction, "WSD: share of steps in the cooldown, [0, 1]");
  b.bind("train.wsd_cooldown_shape", &wsd_cooldown_shape, "WSD cooldown: \"linear\" or \"1-sqrt\"");
  b.bind("train.beta1", &beta1, "AdamW first-moment decay, [0, 1)");
  b.bind("train.beta2", &beta2, "AdamW second-moment decay, [0, 1)");
  b.bind("train.eps", &eps, "AdamW epsilon");
  b.bind("train.weight_decay", &weight_decay, "AdamW decoupled weight decay (matrices)");
  b.bind("train.decay_embeddings", &decay_embeddings, "also apply weight decay to the embeddings");
  b.bind("train.grad_clip", &grad_clip, "global gradient-norm clip (0 = off)");
  b.bind("train.seed", &seed, "seed of initialisation and batch order");
  b.bind("train.eval_every", &eval_every, "steps between validations (0 = at the end only)");
  b.bind("train.threads", &threads, "CPU threads (0 = all cores)");
  b.bind("train.device", &device, "backend: \"cpu\" or \"cuda\" (a build with the CUDA backend and a GPU)");
  b.bind("train.precision", &precision,
         "arithmetic: \"auto\" (cpu: fp32, cuda: bf16), \"fp32\", \"tf32\" or \"bf16\" (the last two on cuda)");
  b.bind("train.checkpoint_every", &checkpoint_every, "steps between checkpoints (0 = at the end only)");
  b.bind("train.log_every", &log_every, "steps between log lines and metrics records");
  b.bind("train.snapshots", &snapshots,
         "parameter snapshots kept for probes, at steps S/2, S/4, ... (train/snapshots.h); 0 = none");
}

namespace {

void require_unit(double v, const char* field, bool open_top) {
  SL_REQUIRE(std::isfinite(v) && v >= 0.0 && (open_top ? v < 1.0 : v <= 1.0),
             "train.{}: expected a number in [0, 1{}, got {}", field, open_top ? ")" : "]", v);
}

}  // namespace

void TrainConfig::validate() const {
  SL_REQUIRE(batch_size > 0, "train.batch_size: expected a positive integer, got {}", batch_size);
  SL_REQUIRE(batch_size <= (1 << 20), "train.batch_size: expected at most 1048576, got {}", batch_size);
  SL_REQUIRE(grad_accum > 0, "train.grad_accum: expected a positive integer, got {}", grad_accum);
  SL_REQUIRE(steps >= 0, "train.steps: expected a positive integer (or 0 = not given), got {}", steps);
  SL_REQUIRE(tokens >= 0, "train.tokens: expected a positive integer (or 0 = not given), got {}", tokens);
  SL_REQUIRE(steps == 0 || tokens == 0,
             "train.tokens: give train.steps ({}) or train.tokens ({}), not both", steps, tokens);
  SL_REQUIRE(std::isfinite(lr) && lr > 0.0, "train.lr: expected a positive number, got {}", lr);
  require_unit(min_lr_ratio, "min_lr_ratio", false);
  SL_REQUIRE(is_schedule_kind(schedule), "train.schedule: expected \"cosine\", \"wsd\" or \"constant\", got \"{}\"",
             schedule);
  SL_REQUIRE(warmup_steps >= 0, "train.warmup_steps: expected >= 0, got {}", warmup_steps);
  require_unit(wsd_cooldown_fraction, "wsd_cooldown_fraction", false);
  SL_REQUIRE(is_cooldown_shape(wsd_cooldown_shape),
             "train.wsd_cooldown_shape: expected \"linear\" or \"1-sqrt\", got \"{}\"", wsd_cooldown_shape);
  require_unit(beta1, "beta1", true);
  require_unit(beta2, "beta2", true);
  SL_REQUIRE(std::isfinite(eps) && eps > 0.0, "train.eps: expected a positive number, got {}", eps);
  SL_REQUIRE(std::isfinite(weight_decay) && weight_decay >= 0.0,
             "train.weight_decay: expected a number >= 0, got {}", weight_decay);
  SL_REQUIRE(std::isfinite(grad_clip) && grad_clip >= 0.0, "train.grad_clip: expected >= 0 (0 = off), got {}",
             grad_clip);
  SL_REQUIRE(seed >= 0, "train.seed: expected an integer >= 0, got {}", seed);
  SL_REQUIRE(eval_every >= 0, "train.eval_every: expected >= 0 (0 = at the end only), got {}", eval_every);
  SL_REQUIRE(threads >= 0 && threads <= 4096, "train.threads: expected 0 (all cores) .. 4096, got {}", threads);
  SL_REQUIRE(!device.empty(), "train.device: expected a backend name such as \"cpu\"");
  parse_precision(precision, device);  // InputError naming train.precision
  SL_REQUIRE(checkpoint_every >= 0, "train.checkpoint_every: expected >= 0 (0 = at the end only), got {}",
             checkpoint_every);
  SL_REQUIRE(log_every > 0, "train.log_every: expected a positive integer, got {}", log_every);
  SL_REQUIRE(snapshots >= 0 && snapshots <= 40, "train.snapshots: expected 0 (none) .. 40, got {}", snapshots);
}

int64_t TrainConfig::total_steps(int64_t seq_len) const {
  if (steps > 0) return steps;
  if (tokens == 0) return kDefaultSteps;
  const int64_t per_step = tokens_per_step(seq_len);
  SL_ASSERT(per_step > 0);
  return (tokens + per_step - 1) / per_step;
}

ScheduleConfig TrainConfig::schedule_config(int64_t total) const {
  ScheduleConfig s;
  s.kind = schedule;
  s.lr = lr;
  s.min_lr_ratio = min_lr_ratio;
  s.warmup_steps = warmup_steps;
  s.total_steps = total;
  s.cooldown_fraction = wsd_cooldown_fraction;
  s.cooldown_shape = wsd_cooldown_shape;
  return s;
}

}  // namespace scalelab
