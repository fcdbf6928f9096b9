#include "data/loader.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"

namespace scalelab::data {

namespace {

void copy_window(std::span<const uint16_t> tokens, int64_t start, int T, int32_t* inputs,
                 int32_t* targets) {
  const uint16_t* src = tokens.data() + start;
  for (int t = 0; t < T; ++t) {
    inputs[t] = src[t];
    targets[t] = src[t + 1];
  }
}

}  // namespace

BatchLoader::BatchLoader(std::span<const uint16_t> tokens, int seq_len, uint64_t seed)
    : tokens_(tokens), seq_len_(seq_len), seed_(seed) {
  SL_REQUIRE(seq_len >= 1, "model.seq_len: {} (expected >= 1)", seq_len);
  SL_REQUIRE(static_cast<int64_t>(tokens.size()) >= seq_len + 1,
             "data.path: training split holds {} tokens, fewer than one sequence ({} tokens)",
             tokens.size(), seq_len + 1);
  windows_ = (static_cast<int64_t>(tokens.size()) - 1) / seq_len;
  SL_ASSERT(windows_ <= static_cast<int64_t>(UINT32_MAX));
}

void BatchLoader::ensure_permutation(uint64_t epoch) const {
  if (perm_epoch_ == epoch) return;
  perm_.resize(static_cast<size_t>(windows_));
  std::iota(perm_.begin(), perm_.end(), 0u);
  // Fisher-Yates with a stream derived from (seed, epoch): any epoch's order can be
  // rebuilt without replaying the earlier ones.
  Rng rng = Rng(seed_).split(epoch);
  for (int64_t i = windows_ - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)));
    std::swap(perm_[i], perm_[j]);
  }
  perm_epoch_ = epoch;
}

int64_t BatchLoader::window_start(uint64_t epoch, uint64_t index) const {
  SL_ASSERT(index < static_cast<uint64_t>(windows_));
  ensure_permutation(epoch);
  return static_cast<int64_t>(perm_[index]) * seq_len_;
}

void BatchLoader::next_batch(int batch_size, int32_t* inputs, int32_t* targets) {
  SL_REQUIRE(batch_size >= 1, "train.batch_size: {} (expected >= 1)", batch_size);
  const int T = seq_len_;
  for (int b = 0; b < batch_size; ++b) {
    const int64_t start = window_start(state_.epoch, state_.index);
    copy_window(tokens_, start, T, inputs + static_cast<int64_t>(b) * T,
                targets + static_cast<int64_t>(b) * T);
    // Keep the invariant index < W: roll over as soon as an epoch is used up.
    if (++state_.index == static_cast<uint64_t>(windows_)) {
      state_.index = 0;
      ++state_.epoch;
    }
  }
}

void BatchLoader::set_state(const LoaderState& state) {
  SL_REQUIRE(state.index < static_cast<uint64_t>(windows_),
             "data position (epoch {}, window {}) is past the {} windows per epoch of this "
             "corpus at seq_len {}; the checkpoint was made with another data.path, "
             "data.val_fraction or model.seq_len",
             state.epoch, state.index, windows_, seq_len_);
  state_ = state;
}

double BatchLoader::epochs_for(int64_t tokens) const {
  return static_cast<double>(tokens) / static_cast<double>(tokens_per_epoch());
}

double BatchLoader::epochs_done() const {
  return static_cast<double>(state_.epoch) +
         static_cast<double>(state_.index) / static_cast<double>(windows_);
}

ValidationSet::ValidationSet(std::span<const uint16_t> tokens, int seq_len, int64_t max_tokens)
    : tokens_(tokens), seq_len_(seq_len) {
  SL_REQUIRE(seq_len >= 1, "model.seq_len: {} (expected >= 1)", seq_len);
  SL_REQUIRE(static_cast<int64_t>(tokens.size()) >= seq_len + 1,
             "data.val_fraction: validation split holds {} tokens, fewer than one sequence "
             "({} tokens); raise data.val_fraction or use a larger corpus",
             tokens.size(), seq_len + 1);
  const int64_t W = (static_cast<int64_t>(tokens.size()) - 1) / seq_len;
  int64_t K = W;
  if (max_tokens > 0) K = std::min(W, std::max<int64_t>(1, max_tokens / seq_len));
  // K of the W stride-T windows, evenly spaced (window floor(j W / K)), so a cap samples
  // the whole split rather than its beginning.
  starts_.resize(static_cast<size_t>(K));
  for (int64_t j = 0; j < K; ++j)
    starts_[j] = static_cast<int64_t>((static_cast<__int128>(j) * W) / K) * seq_len;
}

int64_t ValidationSet::num_batches(int batch_size) const {
  SL_REQUIRE(batch_size >= 1, "train.batch_size: {} (expected >= 1)", batch_size);
  return (num_windows() + batch_size - 1) / batch_size;
}

int ValidationSet::batch(int64_t b, int batch_size, int32_t* inputs, int32_t* targets) const {
  SL_ASSERT(b >= 0 && b < num_batches(batch_size));
  const int64_t first = b * batch_size;
  const int rows = static_cast<int>(std::min<int64_t>(batch_size, num_windows() - first));
  for (int r = 0; r < rows; ++r)
    copy_window(tokens_, starts_[first + r], seq_len_, inputs + static_cast<int64_t>(r) * seq_len_,
                targets + static_cast<int64_t>(r) * seq_len_);
  return rows;
}

}  // namespace scalelab::data
