// The probes' view of a trained model (probe/model_eval.h), checked against the trainer
// and against independent computations on one tiny model trained in-process: the loaded
// config and step, the mean validation loss equal to the trainer's final val loss,
// normalised log-probabilities that agree with the per-position losses, greedy answers
// and teacher-forced log-likelihoods recomputed step by step from log_probs, layer
// deletion undone exactly, ensemble losses of hand-made distributions, and bad files.
#include "probe/model_eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "../train/train_testing.h"
#include "core/atomic_file.h"
#include "data/loader.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace scalelab::probe {
namespace {

using train_testing::input_error_message;
using train_testing::ScratchDir;

// One tiny run (2 layers, d_model 32, T = 32, 20 steps) shared by every test here.
class ModelEval : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir();
    const std::vector<std::string> sets = {"data.path=" + train_testing::sample_corpus_path(),
                                           "model.n_layer=2",
                                           "model.d_model=32",
                                           "model.n_head=2",
                                           "model.seq_len=32",
                                           "train.batch_size=4",
                                           "train.steps=20",
                                           "train.lr=3e-3",
                                           "train.warmup_steps=3",
                                           "train.eval_every=10",
                                           "train.threads=1",
                                           "data.val_max_tokens=2048"};
    TrainerOptions opt;
    opt.out_dir = dir_->path() / "run";
    opt.log = false;
    Trainer t(load_run_config("", sets), opt);
    result_ = new TrainResult(t.run());
  }
  static void TearDownTestSuite() {
    delete result_;
    delete dir_;
    result_ = nullptr;
    dir_ = nullptr;
  }
  static std::filesystem::path checkpoint() { return dir_->path() / "run" / "checkpoint.bin"; }

  static ScratchDir* dir_;
  static TrainResult* result_;
};
ScratchDir* ModelEval::dir_ = nullptr;
TrainResult* ModelEval::result_ = nullptr;

double logsumexp(const float* z, int V) {
  double mx = -INFINITY, s = 0;
  for (int v = 0; v < V; ++v) mx = std::max(mx, static_cast<double>(z[v]));
  for (int v = 0; v < V; ++v) s += std::exp(z[v] - mx);
  return mx + std::log(s);
}

std::vector<int32_t> bytes_of(const std::string& s) {
  std::vector<int32_t> out;
  for (unsigned char c : s) out.push_back(c);
  return out;
}

TEST_F(ModelEval, LoadModelRoundTripsConfigAndStep) {
  ASSERT_TRUE(result_->complete);
  const LoadedModel m = load_model(checkpoint());
  EXPECT_EQ(m.step, 20);
  EXPECT_EQ(m.tokens, result_->summary["tokens_trained"].get<int64_t>());
  EXPECT_EQ(m.tokens, 20 * 4 * 32);
  EXPECT_EQ(m.config.model.n_layer, 2);
  EXPECT_EQ(m.config.model.d_model, 32);
  EXPECT_EQ(m.config.model.n_head, 2);
  EXPECT_EQ(m.config.model.seq_len, 32);
  EXPECT_EQ(m.config.train.steps, 20);
  EXPECT_EQ(m.path, checkpoint());
  EXPECT_EQ(m.params, read_checkpoint(checkpoint()).params);
  ModelScorer s(m, 1, 4);
  EXPECT_EQ(s.seq_len(), 32);
  EXPECT_EQ(s.vocab(), m.config.model.vocab);
  EXPECT_EQ(s.model().d_model, 32);
}

TEST_F(ModelEval, MeanLossEqualsTheTrainersFinalValidationLoss) {
  const LoadedModel m = load_model(checkpoint());
  const data::Corpus corpus = m.config.data.load(static_cast<int>(m.config.model.seq_len));
  const data::ValidationSet val(corpus.val, 32, m.config.data.val_max_tokens);
  ASSERT_EQ(val.num_windows(), 2048 / 32);
  ModelScorer s(m, 2, 16);  // another batch size and thread count than the trainer's
  const double loss = s.mean_loss(val);
  EXPECT_NEAR(loss, result_->summary["final_val_loss"].get<double>(), 1e-5);
  EXPECT_LT(loss, std::log(256.0));  // it learned something in 20 steps

  const std::vector<double> per_pos = s.position_losses(val);
  ASSERT_EQ(per_pos.size(), 32u);
  double sum = 0;
  for (double v : per_pos) sum += v;
  EXPECT_NEAR(sum / 32, loss, 1e-9);
  for (double v : per_pos) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GT(v, 0.0);
  }
}

TEST_F(ModelEval, LogProbsAreNormalisedAndMatchLosses) {
  const LoadedModel m = load_model(checkpoint());
  ModelScorer s(m, 1, 4);
  const int B = 2, T = 24, V = s.vocab();
  const std::string text = "The history of the world is the history of a few people who had faith in themselves.";
  std::vector<int32_t> x, y;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      x.push_back(static_cast<unsigned char>(text[b * 30 + t]));
      y.push_back(static_cast<unsigned char>(text[b * 30 + t + 1]));
    }
  y[5] = -1;  // no target: loss 0
  std::vector<float> lp, loss;
  s.log_probs(x.data(), B, T, lp);
  ASSERT_EQ(lp.size(), static_cast<size_t>(B * T * V));
  s.losses(x.data(), y.data(), B, T, loss);
  ASSERT_EQ(loss.size(), static_cast<size_t>(B * T));
  for (int i = 0; i < B * T; ++i) {
    const float* row = lp.data() + static_cast<size_t>(i) * V;
    EXPECT_NEAR(logsumexp(row, V), 0.0, 1e-4) << i;
    for (int v = 0; v < V; ++v) ASSERT_LE(row[v], 1e-6f) << i;
    if (y[i] < 0) {
      EXPECT_EQ(loss[i], 0.0f) << i;
    } else {
      EXPECT_NEAR(loss[i], -row[y[i]], 1e-4) << i;
    }
  }
  // A row's log-probs depend on its own tokens only: row 1 alone gives the same values.
  std::vector<float> lp1;
  s.log_probs(x.data() + T, 1, T, lp1);
  for (int i = 0; i < T * V; ++i) ASSERT_NEAR(lp1[i], lp[static_cast<size_t>(T) * V + i], 1e-5) << i;
}

TEST_F(ModelEval, AnswerIsGreedyAndLoglikIsTeacherForced) {
  const LoadedModel m = load_model(checkpoint());
  ModelScorer s(m, 1, 2);  // max_batch 2 with 3 prompts: two batches
  const int V = s.vocab();
  const std::vector<std::string> prompts = {"The cat sa", "It was the", "and then w"};
  const std::vector<std::string> answers = {"t on", " bes", "e we"};
  const Answers a = s.answer(prompts, answers);
  ASSERT_EQ(a.generated.size(), 3u);
  ASSERT_EQ(a.loglik.size(), 3u);
  std::vector<float> lp;
  for (size_t i = 0; i < prompts.size(); ++i) {
    // Greedy, one token at a time, from log_probs of the prompt and what was written.
    std::vector<int32_t> seq = bytes_of(prompts[i]);
    std::vector<uint16_t> greedy;
    for (int j = 0; j < 4; ++j) {
      const int T = static_cast<int>(seq.size());
      s.log_probs(seq.data(), 1, T, lp);
      const float* last = lp.data() + static_cast<size_t>(T - 1) * V;
      const int best = static_cast<int>(std::max_element(last, last + V) - last);
      greedy.push_back(static_cast<uint16_t>(best));
      seq.push_back(best);
    }
    EXPECT_EQ(a.generated[i], greedy) << prompts[i];
    // Teacher forcing: prompt + answer minus its last token; sum ln p of the answer's tokens.
    const std::vector<int32_t> full = bytes_of(prompts[i] + answers[i]);
    const int Tf = static_cast<int>(full.size()) - 1;
    s.log_probs(full.data(), 1, Tf, lp);
    double ll = 0;
    for (int j = 0; j < 4; ++j) {
      const int t = 10 - 1 + j;  // position predicting answer token j
      ll += lp[static_cast<size_t>(t) * V + full[t + 1]];
    }
    EXPECT_NEAR(a.loglik[i], ll, 1e-3) << prompts[i];
    EXPECT_LT(a.loglik[i], 0.0);
  }
  // Examples that do not fit the context, or of unequal lengths, are refused.
  EXPECT_FALSE(input_error_message([&] { s.answer({std::string(31, 'a')}, {"bcd"}); }).empty());
  EXPECT_FALSE(input_error_message([&] { s.answer({"ab", "abc"}, {"c", "d"}); }).empty());
  EXPECT_FALSE(input_error_message([&] { s.answer({"ab"}, {"c", "d"}); }).empty());
  EXPECT_TRUE(s.answer({}, {}).generated.empty());
}

TEST_F(ModelEval, DeleteBlockChangesTheLossAndRestoreUndoesIt) {
  const LoadedModel m = load_model(checkpoint());
  const data::Corpus corpus = m.config.data.load(32);
  const data::ValidationSet val(corpus.val, 32, 1024);
  ModelScorer s(m, 1, 8);
  const double base = s.mean_loss(val);
  for (int layer = 0; layer < 2; ++layer) {
    s.delete_block(layer);
    const double deleted = s.mean_loss(val);
    EXPECT_GT(std::abs(deleted - base), 1e-4) << layer;
    s.restore();
    EXPECT_EQ(s.mean_loss(val), base) << layer;  // exactly the trained model again
  }
  // Deleting one block twice is the same as once (it zeroes, from the trained parameters).
  s.delete_block(1);
  const double once = s.mean_loss(val);
  s.delete_block(1);
  EXPECT_EQ(s.mean_loss(val), once);
  s.restore();
  EXPECT_FALSE(input_error_message([&] { s.delete_block(2); }).empty());
  EXPECT_FALSE(input_error_message([&] { s.delete_block(-1); }).empty());
}

TEST_F(ModelEval, EnsembleOfOneOrOfTwinsIsTheModelsOwnLoss) {
  const LoadedModel m = load_model(checkpoint());
  ModelScorer s(m, 1, 4);
  const int B = 2, T = 32, V = s.vocab();
  const data::Corpus corpus = m.config.data.load(32);
  const data::ValidationSet val(corpus.val, 32, 1024);
  std::vector<int32_t> x(B * T), y(B * T);
  ASSERT_EQ(val.batch(0, B, x.data(), y.data()), B);
  y[3] = -1;
  std::vector<float> lp, loss;
  s.log_probs(x.data(), B, T, lp);
  s.losses(x.data(), y.data(), B, T, loss);
  double own = 0;
  for (float v : loss) own += v;
  const std::vector<std::vector<float>> one = {lp};
  const LossSum l1 = ensemble_loss(one, y, V);
  EXPECT_EQ(l1.count, B * T - 1);
  EXPECT_NEAR(l1.sum, own, 1e-3);
  const std::vector<std::vector<float>> twins = {lp, lp};
  const LossSum l2 = ensemble_loss(twins, y, V);
  EXPECT_EQ(l2.count, l1.count);
  EXPECT_NEAR(l2.sum, l1.sum, 1e-9);
}

TEST(EnsembleLoss, AveragesProbabilitiesNotLogProbabilities) {
  // Vocabulary 3, two positions (a third without target). Member distributions:
  //   p1 = (0.7, 0.2, 0.1), (0.1, 0.1, 0.8), (1/3, 1/3, 1/3)
  //   p2 = (0.1, 0.6, 0.3), (0.5, 0.25, 0.25), (0.2, 0.2, 0.6)
  const std::vector<double> p1 = {0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 1 / 3.0, 1 / 3.0, 1 / 3.0};
  const std::vector<double> p2 = {0.1, 0.6, 0.3, 0.5, 0.25, 0.25, 0.2, 0.2, 0.6};
  std::vector<float> l1, l2;
  for (double p : p1) l1.push_back(static_cast<float>(std::log(p)));
  for (double p : p2) l2.push_back(static_cast<float>(std::log(p)));
  const std::vector<int32_t> targets = {1, 0, -1};
  const std::vector<std::vector<float>> both = {l1, l2};
  const LossSum s = ensemble_loss(both, targets, 3);
  EXPECT_EQ(s.count, 2);
  // -ln((0.2 + 0.6) / 2) - ln((0.1 + 0.5) / 2) = -ln 0.4 - ln 0.3
  EXPECT_NEAR(s.sum, -std::log(0.4) - std::log(0.3), 1e-6);
  // Not the mean of the members' losses (that would be averaging log-probabilities).
  EXPECT_GT(std::abs(s.sum - 0.5 * (-std::log(0.2) - std::log(0.6) - std::log(0.1) - std::log(0.5))), 0.1);
  // One member: its own loss.
  const std::vector<std::vector<float>> first = {l1};
  EXPECT_NEAR(ensemble_loss(first, targets, 3).sum, -std::log(0.2) - std::log(0.1), 1e-6);
  // Tiny probabilities stay finite: ln p = -200 and -201 for the target.
  std::vector<float> t1 = {-200.0f, 0.0f, -300.0f}, t2 = {-201.0f, 0.0f, -300.0f};
  const std::vector<std::vector<float>> tiny = {t1, t2};
  const std::vector<int32_t> target0 = {0};
  EXPECT_NEAR(ensemble_loss(tiny, target0, 3).sum, 200.0 - std::log((1 + std::exp(-1.0)) / 2), 1e-3);
  EXPECT_FALSE(input_error_message([&] { ensemble_loss(std::span<const std::vector<float>>(), targets, 3); }).empty());
}

TEST(LoadModel, MissingOrGarbageCheckpointNamesTheFile) {
  ScratchDir dir;
  const auto missing = dir / "absent.bin";
  EXPECT_NE(input_error_message([&] { load_model(missing); }).find("absent.bin"), std::string::npos);
  const auto garbage = dir / "garbage.bin";
  {
    std::ofstream out(garbage, std::ios::binary);
    out << "this is not a checkpoint, just some bytes that go on for a while............";
  }
  EXPECT_NE(input_error_message([&] { load_model(garbage); }).find("garbage.bin"), std::string::npos);
  const auto empty = dir / "empty.bin";
  std::ofstream(empty).close();
  EXPECT_NE(input_error_message([&] { load_model(empty); }).find("empty.bin"), std::string::npos);
}

}  // namespace
}  // namespace scalelab::probe
