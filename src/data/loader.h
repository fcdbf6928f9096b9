// defines: scalelab::data::BatchLoader, LoaderState, ValidationSet
//
// Training batches: the train stream is cut into W = floor((n - 1) / T) windows of T + 1
// tokens with stride T (window i covers tokens [i*T, i*T + T]), so every token is a
// target exactly once per epoch. Each epoch visits all W windows in the order of a
// permutation seeded from (seed, epoch) and consumed front to back; a batch that runs
// past the end of an epoch continues with the next epoch. The position is (epoch, index)
// = (completed epochs, windows consumed in this epoch); restoring it reproduces the same
// batches exactly, so a resumed run matches an uninterrupted one.
//
//   data::BatchLoader loader(corpus.train, seq_len, seed);
//   std::vector<int32_t> x(B * T), y(B * T);       // row-major [B, T] token ids
//   loader.next_batch(B, x.data(), y.data());       // y[b][t] = x[b][t + 1] in the stream
//   data::LoaderState s = loader.state();           // into the checkpoint
//   loader.set_state(s);                            // after loading it
//
// Validation: a fixed, ordered list of windows over the val stream (same shape), the
// same at every evaluation; capped to at most max_tokens target tokens by taking evenly
// spaced windows, so the cap still covers the whole split.
//
//   data::ValidationSet vs(corpus.val, seq_len, /*max_tokens=*/1 << 20);
//   for (int64_t b = 0; b < vs.num_batches(B); ++b) {
//     int rows = vs.batch(b, B, x.data(), y.data());   // rows < B only for the last batch
//     ...                                               // weight the loss by rows
//   }
//
// Both classes keep a view of the token vector: it must outlive them and not change.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace scalelab::data {

struct LoaderState {
  uint64_t epoch = 0;  // completed epochs
  uint64_t index = 0;  // windows consumed in the current epoch, in [0, windows_per_epoch)
  bool operator==(const LoaderState&) const = default;
};

class BatchLoader {
 public:
  // InputError (naming data.path) unless tokens.size() >= seq_len + 1; seq_len >= 1.
  BatchLoader(std::span<const uint16_t> tokens, int seq_len, uint64_t seed);

  // Fills inputs and targets, each [B, T] row-major int32, and advances B windows.
  void next_batch(int batch_size, int32_t* inputs, int32_t* targets);

  LoaderState state() const { return state_; }
  // InputError if index >= windows_per_epoch() (a checkpoint from another corpus/seq_len).
  void set_state(const LoaderState& state);

  int seq_len() const { return seq_len_; }
  uint64_t seed() const { return seed_; }
  int64_t windows_per_epoch() const { return windows_; }
  // Target tokens seen per epoch: W * T.
  int64_t tokens_per_epoch() const { return windows_ * seq_len_; }
  // Epochs that training on `tokens` target tokens amounts to (may be fractional).
  double epochs_for(int64_t tokens) const;
  // Epochs completed so far, fractional: epoch + index / W.
  double epochs_done() const;
  // Start offset in the token stream of the window at (epoch, position in that epoch).
  int64_t window_start(uint64_t epoch, uint64_t index) const;

 private:
  void ensure_permutation(uint64_t epoch) const;
  std::span<const uint16_t> tokens_;
  int seq_len_;
  uint64_t seed_;
  int64_t windows_;
  LoaderState state_;
  // Permutation of [0, W) for perm_epoch_; rebuilt lazily when the epoch changes.
  mutable std::vector<uint32_t> perm_;
  mutable uint64_t perm_epoch_ = UINT64_MAX;
};

class ValidationSet {
 public:
  // max_tokens <= 0: all windows; else at most max(1, max_tokens / T) windows.
  // InputError (naming data.val_fraction) unless tokens.size() >= seq_len + 1.
  ValidationSet(std::span<const uint16_t> tokens, int seq_len, int64_t max_tokens = 0);

  int seq_len() const { return seq_len_; }
  int64_t num_windows() const { return static_cast<int64_t>(starts_.size()); }
  int64_t num_tokens() const { return num_windows() * seq_len_; }  // targets evaluated
  int64_t num_batches(int batch_size) const;
  // Fills rows of batch b (windows b*B .. b*B+B-1), [rows, T] row-major; returns rows.
  int batch(int64_t b, int batch_size, int32_t* inputs, int32_t* targets) const;
  // Start offsets of the windows in the val stream, in evaluation order.
  const std::vector<int64_t>& starts() const { return starts_; }

 private:
  std::span<const uint16_t> tokens_;
  int seq_len_;
  std::vector<int64_t> starts_;
};

}  // namespace scalelab::data
