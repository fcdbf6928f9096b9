#include "probe/model_eval.h"

#include <algorithm>
#include <cmath>

#include "backend/backend.h"
#include "backend/gpt.h"
#include "core/error.h"
#include "data/loader.h"
#include "model/param_layout.h"
#include "train/checkpoint.h"

namespace scalelab::probe {

LoadedModel load_model(const std::filesystem::path& checkpoint) {
  Checkpoint ck = read_checkpoint(checkpoint);
  LoadedModel m;
  m.config = run_config_from_json(ck.config, checkpoint.string());
  m.step = ck.step;
  m.tokens = ck.tokens_trained;
  m.params = std::move(ck.params);
  m.path = checkpoint;
  SL_REQUIRE(m.params.size() == ParamLayout(m.config.model).total(),
             "{}: holds {} parameters, its config's model has {}", checkpoint.string(), m.params.size(),
             ParamLayout(m.config.model).total());
  return m;
}

ModelScorer::ModelScorer(const LoadedModel& model, int threads, int max_batch)
    : params_(model.params), max_batch_(max_batch) {
  backend_ = make_backend(model.config.train.device, threads, model.config.train.precision);
  gpt_ = std::make_unique<Gpt>(model.config.model, *backend_, max_batch);
  gpt_->set_params(params_.data());
}

ModelScorer::~ModelScorer() = default;

const ModelConfig& ModelScorer::model() const { return gpt_->config(); }
int ModelScorer::seq_len() const { return static_cast<int>(model().seq_len); }
int ModelScorer::vocab() const { return static_cast<int>(model().vocab); }

std::vector<double> ModelScorer::position_losses(const data::ValidationSet& val) {
  const int T = val.seq_len();
  SL_REQUIRE(T <= seq_len(), "probe: validation windows of {} tokens exceed the model's seq_len {}", T, seq_len());
  std::vector<int32_t> x(static_cast<size_t>(max_batch_) * T), y(x.size());
  std::vector<float> losses(x.size());
  std::vector<double> sum(T, 0.0);
  int64_t rows_total = 0;
  for (int64_t b = 0; b < val.num_batches(max_batch_); ++b) {
    const int rows = val.batch(b, max_batch_, x.data(), y.data());
    gpt_->forward(x.data(), y.data(), rows, T);
    gpt_->get_position_losses(losses.data());
    for (int r = 0; r < rows; ++r)
      for (int t = 0; t < T; ++t) sum[t] += losses[static_cast<size_t>(r) * T + t];
    rows_total += rows;
  }
  for (double& s : sum) s /= static_cast<double>(std::max<int64_t>(1, rows_total));
  return sum;
}

void ModelScorer::losses(const int32_t* inputs, const int32_t* targets, int B, int T, std::vector<float>& out) {
  gpt_->forward(inputs, targets, B, T);
  out.resize(static_cast<size_t>(B) * T);
  gpt_->get_position_losses(out.data());
}

double ModelScorer::mean_loss(const data::ValidationSet& val) {
  const std::vector<double> p = position_losses(val);
  double s = 0;
  for (double v : p) s += v;
  return s / static_cast<double>(p.size());
}

void ModelScorer::log_probs(const int32_t* inputs, int B, int T, std::vector<float>& out) {
  const int V = vocab();
  gpt_->forward(inputs, nullptr, B, T);
  out.resize(static_cast<size_t>(B) * T * V);
  gpt_->get_logits(out.data());
  const float scale = static_cast<float>(model().logit_scale());
  for (size_t row = 0; row < static_cast<size_t>(B) * T; ++row) {
    float* z = out.data() + row * V;
    float mx = -INFINITY;
    for (int v = 0; v < V; ++v) mx = std::max(mx, scale * z[v]);
    double sum = 0;
    for (int v = 0; v < V; ++v) sum += std::exp(static_cast<double>(scale * z[v] - mx));
    const float lse = mx + static_cast<float>(std::log(sum));
    for (int v = 0; v < V; ++v) z[v] = scale * z[v] - lse;
  }
}

Answers ModelScorer::answer(const std::vector<std::string>& prompts, const std::vector<std::string>& answers) {
  SL_REQUIRE(prompts.size() == answers.size(), "probe: {} prompts but {} answers", prompts.size(), answers.size());
  Answers out;
  if (prompts.empty()) return out;
  const int P = static_cast<int>(prompts[0].size()), A = static_cast<int>(answers[0].size());
  for (size_t i = 0; i < prompts.size(); ++i)
    SL_REQUIRE(static_cast<int>(prompts[i].size()) == P && static_cast<int>(answers[i].size()) == A,
               "probe: task examples must have one prompt length and one answer length (example {} differs)", i);
  SL_REQUIRE(P >= 1 && A >= 1 && P + A - 1 <= seq_len(),
             "probe: a task example of {} + {} tokens does not fit the model's seq_len {}", P, A, seq_len());
  const int V = vocab();
  out.generated.assign(prompts.size(), std::vector<uint16_t>(A));
  out.loglik.assign(prompts.size(), 0.0);
  std::vector<int32_t> x(static_cast<size_t>(max_batch_) * (P + A)), y(x.size());
  std::vector<float> logits, losses;
  for (size_t first = 0; first < prompts.size(); first += max_batch_) {
    const int B = static_cast<int>(std::min<size_t>(max_batch_, prompts.size() - first));
    // Teacher forcing: prompt + answer[0..A-1), targets only at the answer's positions.
    const int Tf = P + A - 1;
    for (int b = 0; b < B; ++b) {
      const std::string seq = prompts[first + b] + answers[first + b];
      for (int t = 0; t < Tf; ++t) {
        x[static_cast<size_t>(b) * Tf + t] = static_cast<unsigned char>(seq[t]);
        y[static_cast<size_t>(b) * Tf + t] = t >= P - 1 ? static_cast<unsigned char>(seq[t + 1]) : -1;
      }
    }
    gpt_->forward(x.data(), y.data(), B, Tf);
    losses.resize(static_cast<size_t>(B) * Tf);
    gpt_->get_position_losses(losses.data());
    for (int b = 0; b < B; ++b)
      for (int t = P - 1; t < Tf; ++t) out.loglik[first + b] -= losses[static_cast<size_t>(b) * Tf + t];
    // Greedy decoding: one forward per answer token over the prompt and what was written.
    for (int j = 0; j < A; ++j) {
      const int T = P + j;
      for (int b = 0; b < B; ++b) {
        const std::string& p = prompts[first + b];
        for (int t = 0; t < T; ++t)
          x[static_cast<size_t>(b) * T + t] =
              t < P ? static_cast<unsigned char>(p[t]) : out.generated[first + b][t - P];
      }
      gpt_->forward(x.data(), nullptr, B, T);
      logits.resize(static_cast<size_t>(B) * T * V);
      gpt_->get_logits(logits.data());
      for (int b = 0; b < B; ++b) {
        const float* z = logits.data() + (static_cast<size_t>(b) * T + T - 1) * V;
        out.generated[first + b][j] = static_cast<uint16_t>(std::max_element(z, z + V) - z);
      }
    }
  }
  return out;
}

void ModelScorer::delete_block(int layer) {
  const ModelConfig& cfg = model();
  SL_REQUIRE(layer >= 0 && layer < cfg.n_layer, "probe: block {} does not exist (the model has {})", layer,
             cfg.n_layer);
  const ParamLayout layout(cfg);
  std::vector<float> p = params_;
  ParamViews<float> v(layout, p.data());
  const size_t C = static_cast<size_t>(cfg.d_model), l = static_cast<size_t>(layer);
  std::fill_n(v.attprojw + l * C * C, C * C, 0.0f);
  std::fill_n(v.attprojb + l * C, C, 0.0f);
  std::fill_n(v.fcprojw + l * C * 4 * C, 4 * C * C, 0.0f);
  std::fill_n(v.fcprojb + l * C, C, 0.0f);
  gpt_->set_params(p.data());
}

void ModelScorer::restore() { gpt_->set_params(params_.data()); }

LossSum ensemble_loss(std::span<const std::vector<float>> log_probs, std::span<const int32_t> targets, int vocab) {
  LossSum s;
  const size_t K = log_probs.size();
  SL_REQUIRE(K >= 1, "ensemble: no member");
  for (size_t i = 0; i < targets.size(); ++i) {
    if (targets[i] < 0) continue;
    // log mean_k p_k = logsumexp_k(ln p_k) - ln K, stable for tiny probabilities.
    double mx = -INFINITY;
    for (size_t k = 0; k < K; ++k) mx = std::max(mx, static_cast<double>(log_probs[k][i * vocab + targets[i]]));
    double sum = 0;
    for (size_t k = 0; k < K; ++k) sum += std::exp(log_probs[k][i * vocab + targets[i]] - mx);
    s.sum -= mx + std::log(sum) - std::log(static_cast<double>(K));
    ++s.count;
  }
  return s;
}

}  // namespace scalelab::probe
