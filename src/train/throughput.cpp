// Clean step timing (throughput.h).
#include "train/throughput.h"

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/gpt.h"
#include "core/rng.h"
#include "core/timer.h"
#include "model/model_config.h"

namespace scalelab {

namespace {

// Random tokens in [0, V): inputs (B,T) and next-token targets, as the loader yields.
void random_batch(Rng& rng, int B, int T, int64_t V, std::vector<int32_t>& inp, std::vector<int32_t>& tgt) {
  const auto draw = [&] { return static_cast<int32_t>(rng.below(static_cast<uint64_t>(V))); };
  for (size_t b = 0; b < static_cast<size_t>(B); ++b) {
    int32_t cur = draw();
    for (size_t t = 0; t < static_cast<size_t>(T); ++t) {
      const int32_t next = draw();
      inp[b * static_cast<size_t>(T) + t] = cur;
      tgt[b * static_cast<size_t>(T) + t] = next;
      cur = next;
    }
  }
}

}  // namespace

StepTiming time_train_steps(Gpt& gpt, int B, int T, int64_t vocab, int warmup, int steps) {
  Rng rng(42);
  std::vector<int32_t> inp(static_cast<size_t>(B) * T), tgt(inp.size());
  const AdamWConfig opt;
  StepTiming r;
  auto step = [&](int64_t s) {
    random_batch(rng, B, T, vocab, inp, tgt);
    gpt.zero_grad();
    r.last_loss = gpt.forward_backward(inp.data(), tgt.data(), B, T, 1.0f);
    const double norm = gpt.grad_norm();
    gpt.adamw_step(opt, 3e-4, s, norm > 1.0 ? 1.0 / norm : 1.0);
  };
  for (int s = 1; s <= warmup; ++s) step(s);
  Timer timer;
  for (int s = 1; s <= steps; ++s) step(warmup + s);
  r.seconds = timer.seconds();
  r.tokens_per_second = r.seconds > 0 ? static_cast<double>(B) * T * steps / r.seconds : 0.0;
  return r;
}

StepTiming measure_throughput(const ModelConfig& cfg, int batch, int threads, int warmup, int steps) {
  std::unique_ptr<Backend> backend = make_backend("cpu", threads);
  Gpt gpt(cfg, *backend, batch);
  gpt.init(1337);
  return time_train_steps(gpt, batch, static_cast<int>(cfg.seq_len), cfg.vocab, warmup, steps);
}

}  // namespace scalelab
