// defines: scalelab::TrainerOptions, scalelab::TrainResult, scalelab::Trainer
//
// One training run: corpus -> backend + Gpt -> AdamW steps on a schedule, validation on
// the fixed held-out windows, metrics, checkpoints and a summary in an output directory.
//
//   RunConfig rc = load_run_config("", {"data.path=brown.txt", "train.steps=200"});
//   Trainer t(rc, {.out_dir = "runs/a"});   // every check; nothing written yet
//   TrainResult r = t.run();                // DIR/metrics.jsonl, checkpoint.bin, summary.json
//
// Outputs in DIR (each written atomically, core/atomic_file.h):
//   metrics.jsonl    one record per logged step and per validation (train/metrics_log.h)
//   checkpoint.bin   train/checkpoint.h; every train.checkpoint_every steps and at the end
//   snapshots/       with train.snapshots = K: the state at K steps of training, for probes
//                    (train/snapshots.h); a WSD branch keeps only those past its fork
//   summary.json     at the end: counts (params, FLOPs per token), final losses, speed,
//                    the resolved config
// Resuming: when DIR/checkpoint.bin exists the run continues from it (after checking it
// was written under the same config) and reproduces, bit for bit, the losses and metrics
// of an uninterrupted run with the same thread count. A complete run resumed does no
// step; it re-evaluates and rewrites the summary.
//
// WSD branches (Hagele et al. 2024, sec. 4): a WSD run is at constant LR until its
// cooldown starts, so a longer run of the same config passes through the exact state a
// shorter one has when its cooldown begins. TrainerOptions::forks makes a run save that
// state at given steps; TrainerOptions::branch_from starts a shorter run from such a fork
// and trains only its cooldown, reproducing bit for bit the run trained from scratch.
//
// Each step: zero_grad; grad_accum x forward_backward(1/grad_accum); norm = grad_norm();
// clip factor min(1, grad_clip / norm) (global-norm clipping, Pascanu et al. 2013);
// adamw_step(lr(step)). Nothing is random beyond the seeded initialisation and the seeded
// batch order, so a run is a function of (config, thread count).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/timer.h"
#include "data/corpus.h"
#include "train/run_config.h"
#include "train/schedule.h"

namespace scalelab {

class Backend;
class Gpt;
class MetricsLog;
class Progress;
struct Checkpoint;
namespace data {
class BatchLoader;
class ValidationSet;
}  // namespace data

// A copy of the training state to save when `step` optimizer steps are done.
struct ForkPoint {
  int64_t step = 0;
  std::filesystem::path path;  // written atomically, in checkpoint format
};

struct TrainerOptions {
  std::filesystem::path out_dir;   // created by run() if missing
  // Stop after this many steps (with a checkpoint), as if interrupted; 0 = train to the end.
  int64_t stop_after = 0;
  // Checked after every step; when true the run checkpoints and stops (SIGINT handler).
  const std::atomic<bool>* interrupt = nullptr;
  bool log = true;                 // step and eval lines on stderr
  // Save the state at these steps as well (the trunk of WSD branches). A fork whose step
  // was passed before this session began is not rewritten.
  std::vector<ForkPoint> forks;
  // Start from this fork when out_dir has no checkpoint. Its config must equal this one
  // except for the run length (train.steps, train.tokens) and resumable_keys(), and its
  // step must not be past this run's cooldown start (where the two schedules part).
  std::filesystem::path branch_from;
};

struct TrainResult {
  bool complete = false;     // trained to total_steps; summary.json written
  int64_t steps_done = 0;
  int64_t total_steps = 0;
  Json summary;              // the summary.json content when complete
};

class Trainer {
 public:
  // Validates the config, loads the corpus, checks an existing checkpoint in out_dir
  // against the config, and builds the model. Throws InputError naming the field or file
  // on bad input; creates and writes nothing.
  Trainer(RunConfig config, TrainerOptions options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  TrainResult run();

  int64_t start_step() const { return step_; }
  int64_t total_steps() const { return total_steps_; }
  bool resuming() const { return resumed_; }
  const data::Corpus& corpus() const { return corpus_; }

  // Config keys that may change between a checkpoint and its resumption: they change
  // what is logged or saved, or the thread count, never the trained numbers' definition.
  static const std::vector<std::string>& resumable_keys();

 private:
  void train_step();
  void evaluate();
  void save_checkpoint();
  Checkpoint make_checkpoint() const;
  void load_start_state(const std::filesystem::path& path, bool branch);
  Json make_summary() const;
  void log_line(const std::string& line);

  RunConfig cfg_;
  TrainerOptions opt_;
  int64_t total_steps_ = 0;
  data::Corpus corpus_;
  std::unique_ptr<data::BatchLoader> loader_;
  std::unique_ptr<data::ValidationSet> val_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Gpt> gpt_;
  std::optional<LrSchedule> schedule_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<Checkpoint> resume_from_;  // read in the constructor, applied in run()
  bool resumed_ = false;
  Progress* progress_ = nullptr;  // the terminal progress bar while run() trains

  // Run state (all of it in the checkpoint, or derived from it).
  int64_t step_ = 0;            // optimizer steps done
  int64_t tokens_ = 0;          // target tokens trained on
  double wall_prev_ = 0.0;      // wall seconds of earlier sessions
  Timer session_;               // this session's wall clock, from run()
  double train_seconds_ = 0.0;  // seconds in training steps, all sessions
  double last_loss_ = std::numeric_limits<double>::quiet_NaN();
  double last_val_loss_ = std::numeric_limits<double>::quiet_NaN();
  int64_t last_val_tokens_ = 0;
  std::vector<int32_t> inputs_, targets_;  // (batch_size, seq_len) host staging
  std::vector<int64_t> snapshot_steps_;    // train/snapshots.h, ascending
};

}  // namespace scalelab
