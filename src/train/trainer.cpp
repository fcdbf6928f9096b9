#include "train/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "backend/backend.h"
#include "backend/cpu/blas_runtime.h"
#include "backend/gpt.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/simd_path.h"
#include "core/training_compute.h"
#include "data/loader.h"
#include "model/accounting.h"
#include "train/checkpoint.h"
#include "train/metrics_log.h"
#include "train/snapshots.h"

namespace scalelab {

namespace fs = std::filesystem;

namespace {

Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// The training loss of the last step recorded in a metrics.jsonl text (NaN if none).
double last_logged_loss(const std::string& text) {
  double loss = std::numeric_limits<double>::quiet_NaN();
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("loss") && j["loss"].is_number()) loss = j["loss"].get<double>();
  }
  return loss;
}

}  // namespace

const std::vector<std::string>& Trainer::resumable_keys() {
  static const std::vector<std::string> keys = {"train.log_every", "train.eval_every", "train.checkpoint_every",
                                                "train.threads", "train.snapshots"};
  return keys;
}

Trainer::Trainer(RunConfig config, TrainerOptions options) : cfg_(std::move(config)), opt_(std::move(options)) {
  // Every check happens here, before run() creates the output directory, so bad input
  // leaves nothing behind.
  cfg_.validate();
  SL_REQUIRE(!opt_.out_dir.empty(), "--out: expected an output directory");
  SL_REQUIRE(opt_.stop_after >= 0, "--stop-after: expected a step count >= 0, got {}", opt_.stop_after);
  std::error_code ec;
  if (fs::exists(opt_.out_dir, ec))
    SL_REQUIRE(fs::is_directory(opt_.out_dir, ec), "{}: --out exists and is not a directory",
               opt_.out_dir.string());
  total_steps_ = cfg_.total_steps();
  SL_REQUIRE(total_steps_ <= (int64_t{1} << 40), "train.steps: {} steps is more than this trainer counts",
             total_steps_);

  const int T = static_cast<int>(cfg_.model.seq_len);
  const int B = static_cast<int>(cfg_.train.batch_size);
  corpus_ = cfg_.data.load(T);
  SL_REQUIRE(corpus_.vocab_size <= cfg_.model.vocab,
             "model.vocab: {} is too small for the corpus {} (token ids up to {}); set model.vocab >= {}",
             cfg_.model.vocab, cfg_.data.resolved_path(), corpus_.vocab_size - 1, corpus_.vocab_size);
  loader_ = std::make_unique<data::BatchLoader>(corpus_.train, T, static_cast<uint64_t>(cfg_.train.seed));
  val_ = std::make_unique<data::ValidationSet>(corpus_.val, T, cfg_.data.val_max_tokens);
  schedule_.emplace(cfg_.train.schedule_config(total_steps_));
  snapshot_steps_ = snapshot_steps(total_steps_, cfg_.train.snapshots);

  const fs::path ck_path = opt_.out_dir / "checkpoint.bin";
  for (const ForkPoint& f : opt_.forks)
    SL_REQUIRE(f.step > 0 && f.step <= total_steps_, "{}: fork step {} is outside the run's 1..{} steps",
               f.path.string(), f.step, total_steps_);
  if (fs::exists(ck_path, ec)) {
    load_start_state(ck_path, false);
  } else if (!opt_.branch_from.empty()) {
    SL_REQUIRE(fs::exists(opt_.branch_from, ec), "{}: the fork to branch from does not exist",
               opt_.branch_from.string());
    load_start_state(opt_.branch_from, true);
  }

  backend_ = make_backend(cfg_.train.device, static_cast<int>(cfg_.train.threads), cfg_.train.precision);
  gpt_ = std::make_unique<Gpt>(cfg_.model, *backend_, B);
  if (resume_from_)
    SL_REQUIRE(resume_from_->params.size() == gpt_->num_params(),
               "{}: checkpoint holds {} parameters, the model has {}", ck_path.string(),
               resume_from_->params.size(), gpt_->num_params());
  metrics_ = std::make_unique<MetricsLog>(opt_.out_dir / "metrics.jsonl");
  inputs_.resize(static_cast<size_t>(B) * T);
  targets_.resize(static_cast<size_t>(B) * T);
}

Trainer::~Trainer() = default;

void Trainer::load_start_state(const fs::path& path, bool branch) {
  resume_from_ = std::make_unique<Checkpoint>(read_checkpoint(path));
  std::vector<std::string> free_keys = resumable_keys();
  if (branch) {
    free_keys.push_back("train.steps");
    free_keys.push_back("train.tokens");
  }
  check_checkpoint_config(path, resume_from_->config, cfg_.to_json(), free_keys);
  SL_REQUIRE(resume_from_->step <= total_steps_, "{}: checkpoint is at step {}, beyond train.steps = {}",
             path.string(), resume_from_->step, total_steps_);
  // A branch shares the trunk's schedule only before its own cooldown starts.
  if (branch)
    SL_REQUIRE(resume_from_->step <= schedule_->cooldown_start(),
               "{}: fork at step {} is past this run's cooldown start ({}); the branch would not match a run "
               "trained from scratch",
               path.string(), resume_from_->step, schedule_->cooldown_start());
  loader_->set_state(resume_from_->loader);
  resumed_ = true;
  step_ = resume_from_->step;
  tokens_ = resume_from_->tokens_trained;
  wall_prev_ = resume_from_->wall_seconds;
  train_seconds_ = resume_from_->train_seconds;
}


void Trainer::log_line(const std::string& line) {
  if (!opt_.log) return;
  // Clear a progress bar drawn on a terminal so the log line stays clean.
  if (progress_ && progress_->interactive()) fmt::print(stderr, "\r\033[K");
  fmt::print(stderr, "{}\n", line);
}

TrainResult Trainer::run() {
  session_.reset();
  std::error_code ec;
  fs::create_directories(opt_.out_dir, ec);
  SL_REQUIRE(!ec, "{}: cannot create the output directory ({})", opt_.out_dir.string(), ec.message());

  const ParamCounts n = count_params(cfg_.model);
  log_line(fmt::format(
      "train: model n_layer={} d_model={} n_head={} seq_len={} vocab={} {}; params_total {} nonembedding {}",
      cfg_.model.n_layer, cfg_.model.d_model, cfg_.model.n_head, cfg_.model.seq_len, cfg_.model.vocab,
      cfg_.model.parameterization, n.total, n.nonembedding));
  log_line(fmt::format("train: data {}; train {} tokens, val {} tokens ({} evaluated)", corpus_.source,
                       corpus_.train.size(), corpus_.val.size(), val_->num_tokens()));
  log_line(fmt::format("train: {} steps x {} tokens/step, {} schedule, lr {:.2e}; device {} with {} threads",
                       total_steps_, cfg_.tokens_per_step(), cfg_.train.schedule, cfg_.train.lr, backend_->name(),
                       backend_->threads()));

  if (resume_from_) {
    const Checkpoint& ck = *resume_from_;
    gpt_->set_params(ck.params.data());
    gpt_->set_optimizer_state(ck.m.data(), ck.v.data());
    metrics_->restore(ck.metrics);
    last_loss_ = last_logged_loss(ck.metrics);
    const Json& old_threads = ck.config["train"]["threads"];
    if (old_threads != Json(cfg_.train.threads))
      log_line(fmt::format("train: note: train.threads was {} for the checkpoint, {} now; losses may differ in "
                           "the last bits from an uninterrupted run",
                           old_threads.dump(), cfg_.train.threads));
    log_line(fmt::format("train: resuming from {} at step {}/{}", (opt_.out_dir / "checkpoint.bin").string(),
                         step_, total_steps_));
    resume_from_.reset();
  } else {
    gpt_->init(static_cast<uint64_t>(cfg_.train.seed));
  }

  Progress progress("train", total_steps_, step_);
  progress_ = opt_.log ? &progress : nullptr;
  const TrainConfig& tc = cfg_.train;
  while (step_ < total_steps_) {
    if (opt_.stop_after > 0 && step_ >= opt_.stop_after) break;
    if (opt_.interrupt && opt_.interrupt->load()) break;
    train_step();
    if (progress_) progress.update(step_, fmt::format("loss {:.4f}", last_loss_));
    if (step_ == total_steps_) break;  // the final evaluation and checkpoint follow the loop
    if (tc.eval_every > 0 && step_ % tc.eval_every == 0) evaluate();
    // After the evaluation, so a branch's metrics hold the same records as a run from scratch.
    for (const ForkPoint& f : opt_.forks)
      if (f.step == step_) write_checkpoint(f.path, make_checkpoint());
    if (std::binary_search(snapshot_steps_.begin(), snapshot_steps_.end(), step_)) {
      std::filesystem::create_directories(snapshot_path(opt_.out_dir, step_).parent_path());
      write_checkpoint(snapshot_path(opt_.out_dir, step_), make_checkpoint());
    }
    if (tc.checkpoint_every > 0 && step_ % tc.checkpoint_every == 0) save_checkpoint();
    metrics_->flush_if_due();
  }
  progress.finish();
  progress_ = nullptr;

  TrainResult result;
  result.steps_done = step_;
  result.total_steps = total_steps_;
  // The checkpoint goes before the final evaluation: a complete run resumed then
  // re-evaluates and writes the same metrics.jsonl again instead of a duplicate line.
  save_checkpoint();
  if (step_ < total_steps_) {
    log_line(fmt::format("train: stopped at step {}/{}; {} holds the state; run the same command to resume",
                         step_, total_steps_, (opt_.out_dir / "checkpoint.bin").string()));
    return result;
  }
  evaluate();
  metrics_->flush();
  result.complete = true;
  result.summary = make_summary();
  write_json_atomic(opt_.out_dir / "summary.json", result.summary);
  log_line(fmt::format("train: done: final val_loss {:.4f} val_bpb {:.4f}, {:.0f} tok/s, {}; summary in {}",
                       last_val_loss_, corpus_.bpb(last_val_loss_), result.summary["tokens_per_second"].get<double>(),
                       format_duration(wall_prev_ + session_.seconds()),
                       (opt_.out_dir / "summary.json").string()));
  return result;
}

void Trainer::train_step() {
  const TrainConfig& tc = cfg_.train;
  const int B = static_cast<int>(tc.batch_size);
  const int T = static_cast<int>(cfg_.model.seq_len);
  const int k = static_cast<int>(tc.grad_accum);
  Timer timer;
  gpt_->zero_grad();
  double loss_sum = 0.0;
  for (int i = 0; i < k; ++i) {
    loader_->next_batch(B, inputs_.data(), targets_.data());
    loss_sum += gpt_->forward_backward(inputs_.data(), targets_.data(), B, T, 1.0f / static_cast<float>(k));
  }
  const double loss = loss_sum / k;
  const double norm = gpt_->grad_norm();
  SL_REQUIRE(std::isfinite(loss) && std::isfinite(norm),
             "train.lr: training diverged at step {} (loss {}, gradient norm {}); lower train.lr or raise "
             "train.warmup_steps (the last checkpoint in {} is kept)",
             step_ + 1, loss, norm, opt_.out_dir.string());
  // Global-norm clipping (Pascanu et al. 2013): scale every gradient by min(1, clip / norm).
  const double scale = (tc.grad_clip > 0.0 && norm > tc.grad_clip) ? tc.grad_clip / norm : 1.0;
  const double lr = schedule_->lr(step_);
  AdamWConfig opt;
  opt.beta1 = tc.beta1;
  opt.beta2 = tc.beta2;
  opt.eps = tc.eps;
  opt.weight_decay = tc.weight_decay;
  opt.decay_embeddings = tc.decay_embeddings;
  gpt_->adamw_step(opt, lr, step_ + 1, scale);
  const double seconds = timer.seconds();

  step_ += 1;
  tokens_ += tc.tokens_per_step(cfg_.model.seq_len);
  train_seconds_ += seconds;
  last_loss_ = loss;
  if (step_ % tc.log_every == 0 || step_ == total_steps_) {
    StepRecord r;
    r.step = step_;
    r.total_steps = total_steps_;
    r.loss = loss;
    r.lr = lr;
    r.grad_norm = norm;
    r.tokens_per_second = seconds > 0 ? static_cast<double>(tc.tokens_per_step(cfg_.model.seq_len)) / seconds : 0.0;
    r.tokens = tokens_;
    metrics_->add(to_json(r));
    log_line(format_step_line(r));
  }
}

void Trainer::evaluate() {
  const int B = static_cast<int>(cfg_.train.batch_size);
  const int T = static_cast<int>(cfg_.model.seq_len);
  // Mean over every evaluated target token: each batch's mean weighted by its tokens.
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t b = 0; b < val_->num_batches(B); ++b) {
    const int rows = val_->batch(b, B, inputs_.data(), targets_.data());
    const double loss = gpt_->forward(inputs_.data(), targets_.data(), rows, T);
    sum += loss * rows * T;
    count += static_cast<int64_t>(rows) * T;
  }
  EvalRecord r;
  r.step = step_;
  r.val_loss = count > 0 ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
  r.val_bpb = corpus_.bpb(r.val_loss);
  r.val_tokens = count;
  last_val_loss_ = r.val_loss;
  last_val_tokens_ = count;
  metrics_->add(to_json(r));
  log_line(format_eval_line(r, total_steps_));
}

Checkpoint Trainer::make_checkpoint() const {
  Checkpoint ck;
  ck.config = cfg_.to_json();
  ck.step = step_;
  ck.loader = loader_->state();
  ck.tokens_trained = tokens_;
  ck.wall_seconds = wall_prev_ + session_.seconds();
  ck.train_seconds = train_seconds_;
  ck.params.resize(gpt_->num_params());
  ck.m.resize(gpt_->num_params());
  ck.v.resize(gpt_->num_params());
  gpt_->get_params(ck.params.data());
  gpt_->get_optimizer_state(ck.m.data(), ck.v.data());
  ck.metrics = metrics_->text();
  return ck;
}

void Trainer::save_checkpoint() {
  write_checkpoint(opt_.out_dir / "checkpoint.bin", make_checkpoint());
  metrics_->flush();
}

Json Trainer::make_summary() const {
  const ParamCounts n = count_params(cfg_.model);
  const FlopCounts f = count_flops(cfg_.model);
  const double tokens = static_cast<double>(tokens_);
  Json s;
  s["complete"] = true;
  s["params_total"] = n.total;
  s["params_nonembedding"] = n.nonembedding;
  s["params_embedding"] = n.embedding;
  // flops is training compute under scalelab's named convention (core/training_compute.h:
  // 6ND, Kaplan et al. 2020, eq. 2.1); the full count with attention and logits (Hoffmann
  // et al. 2022, appendix F) is given beside it.
  s["flops"] = training_compute(static_cast<double>(n.nonembedding), static_cast<double>(tokens));
  s["flops_convention"] = kComputeConvention;
  s["flops_per_token"] = f.per_token_6n;
  s["flops_per_token_6n"] = f.per_token_6n;
  s["flops_per_token_6n_attn"] = f.per_token_6n_attn;
  s["flops_per_token_full"] = f.per_token_full;
  s["flops_6nd"] = f.per_token_6n * tokens;
  s["flops_full"] = f.per_token_full * tokens;
  s["steps"] = step_;
  s["tokens_per_step"] = cfg_.tokens_per_step();
  s["tokens_trained"] = tokens_;
  s["epochs"] = loader_->epochs_done();
  s["final_train_loss"] = number_or_null(last_loss_);
  s["final_val_loss"] = number_or_null(last_val_loss_);
  s["final_val_bpb"] = number_or_null(corpus_.bpb(last_val_loss_));
  s["val_tokens"] = last_val_tokens_;
  s["tokens_per_second"] = train_seconds_ > 0 ? tokens / train_seconds_ : 0.0;
  s["train_seconds"] = train_seconds_;
  s["wall_seconds"] = wall_prev_ + session_.seconds();
  s["device"] = backend_->name();
  s["precision"] = precision_name(backend_->precision());
  s["threads"] = backend_->threads();
  if (backend_->name() == "cpu") {  // what the tokens/s above ran on
    s["cpu_simd_path"] = simd::current_path();
    s["blas_core"] = blas_core_name();
  }
  s["corpus"] = {{"source", corpus_.source},
                 {"tokenizer", corpus_.tokenizer},
                 {"train_tokens", corpus_.train.size()},
                 {"val_tokens", corpus_.val.size()},
                 {"bytes_per_token", number_or_null(corpus_.bytes_per_token)}};
  s["config"] = cfg_.to_json();
  return s;
}

}  // namespace scalelab
