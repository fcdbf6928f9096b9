// defines: scalelab::probe::LoadedModel, load_model, ModelScorer
//
// The probes' view of a trained model: restore it from a checkpoint (or a snapshot,
// train/snapshots.h), then score it: mean loss per context position, the log-softmax
// distribution at every position, greedy answers to prompts with the teacher-forced
// log-likelihood of the correct answer, and the loss with one block deleted.
//
//   LoadedModel m = load_model("runs/emergence/n20k-d2M/checkpoint.bin");
//   ModelScorer s(m, /*threads=*/2, /*max_batch=*/16);
//   std::vector<double> per_pos = s.position_losses(val);          // T values, nats/token
//   Answers a = s.answer(prompts, answers);                         // greedy + log-likelihood
//   s.delete_block(1);  double l = s.mean_loss(val);  s.restore();  // layer deletion
//
// Every evaluation runs the same Gpt forward as training (backend/gpt.h), so what a
// probe measures is the model the trainer trained, bit for bit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "train/run_config.h"

namespace scalelab {
class Backend;
class Gpt;
namespace data {
class ValidationSet;
}
}  // namespace scalelab

namespace scalelab::probe {

struct LoadedModel {
  RunConfig config;           // the run's config, as the checkpoint recorded it
  int64_t step = 0;           // optimizer steps done
  int64_t tokens = 0;         // training tokens seen
  std::vector<float> params;  // ParamLayout order
  std::filesystem::path path;
};

// InputError naming the file when it is not a readable checkpoint.
LoadedModel load_model(const std::filesystem::path& checkpoint);

// Greedy answers to fixed-length prompts (data/tasks.h): for each prompt, the answer the
// model writes by taking the most likely token answer_length times, and ln p of the
// correct answer under teacher forcing (sum over its tokens).
struct Answers {
  std::vector<std::vector<uint16_t>> generated;
  std::vector<double> loglik;
};

class ModelScorer {
 public:
  ModelScorer(const LoadedModel& model, int threads, int max_batch);
  ~ModelScorer();
  ModelScorer(const ModelScorer&) = delete;
  ModelScorer& operator=(const ModelScorer&) = delete;

  const ModelConfig& model() const;
  int seq_len() const;
  int vocab() const;

  // Mean loss (nats/token) at each position t = 0..T-1 over the validation windows
  // (position t predicts token t+1 from t+1 tokens of context).
  std::vector<double> position_losses(const data::ValidationSet& val);
  // Per-position losses (nats) of B rows of T tokens with their targets (< 0: no target,
  // loss 0): out gets B*T values.
  void losses(const int32_t* inputs, const int32_t* targets, int B, int T, std::vector<float>& out);
  // Mean loss over every target of the validation windows.
  double mean_loss(const data::ValidationSet& val);

  // ln p(. | x[0..t]) for every position of B rows of T tokens: out gets B*T*V values,
  // row-major (b, t, v). B <= max_batch, T <= seq_len.
  void log_probs(const int32_t* inputs, int B, int T, std::vector<float>& out);

  // prompts: equal lengths; answers: the correct answers, equal lengths. Prompts longer
  // than seq_len - answer length are an InputError.
  Answers answer(const std::vector<std::string>& prompts, const std::vector<std::string>& answers);

  // Layer deletion (Veit et al. 2016, on residual networks as ensembles of shallow
  // paths): zero block `layer`'s two output projections (attention and MLP, weights and
  // biases), so the block adds nothing to the residual stream and the stream passes it
  // unchanged. restore() puts the trained parameters back.
  void delete_block(int layer);
  void restore();

 private:
  std::vector<float> params_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Gpt> gpt_;
  int max_batch_;
};

// Softmax cross-entropy of averaged distributions: the ensemble's loss at each target
// is -ln( mean_k p_k(target) ). log_probs[k] holds model k's ln p (B*T*V), targets B*T
// (< 0: skipped). Returns the sum of the losses and the number of targets counted.
struct LossSum {
  double sum = 0;
  int64_t count = 0;
};
LossSum ensemble_loss(std::span<const std::vector<float>> log_probs, std::span<const int32_t> targets, int vocab);

}  // namespace scalelab::probe
