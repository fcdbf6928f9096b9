// Training batches (epochs, determinism, exact resume) and validation windows.
#include "data/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data_testing.h"

namespace scalelab::data {
namespace {

using testing::expect_input_error;

// Token i has value i, so a window's first input names its start.
std::vector<uint16_t> position_tokens(size_t n) {
  std::vector<uint16_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<uint16_t>(i);
  return t;
}

struct Batch {
  std::vector<int32_t> x, y;
  bool operator==(const Batch&) const = default;
};

Batch next(BatchLoader& l, int B) {
  Batch b{std::vector<int32_t>(B * l.seq_len()), std::vector<int32_t>(B * l.seq_len())};
  l.next_batch(B, b.x.data(), b.y.data());
  return b;
}

TEST(BatchLoader, WindowsAreStrideTAndTargetsAreShiftedInputs) {
  const auto tokens = position_tokens(1000);
  const int T = 16;
  BatchLoader l(tokens, T, 1);
  EXPECT_EQ(l.windows_per_epoch(), (1000 - 1) / 16);  // 62
  EXPECT_EQ(l.tokens_per_epoch(), 62 * 16);
  const Batch b = next(l, 5);
  for (int r = 0; r < 5; ++r) {
    const int32_t start = b.x[r * T];
    EXPECT_EQ(start % T, 0);
    for (int t = 0; t < T; ++t) {
      EXPECT_EQ(b.x[r * T + t], start + t);
      EXPECT_EQ(b.y[r * T + t], start + t + 1);
    }
  }
}

TEST(BatchLoader, EachWindowExactlyOncePerEpochInAFreshOrder) {
  const auto tokens = position_tokens(3001);  // W = 3000 / 8 = 375 windows
  const int T = 8, B = 7;                     // 375 is not a multiple of 7: batches straddle epochs
  BatchLoader l(tokens, T, 42);
  const int64_t W = l.windows_per_epoch();
  ASSERT_EQ(W, 375);
  std::vector<int32_t> seen;  // window starts in visiting order
  while (static_cast<int64_t>(seen.size()) < 3 * W) {
    const Batch b = next(l, B);
    for (int r = 0; r < B; ++r) seen.push_back(b.x[r * T]);
  }
  std::vector<int32_t> all(W);
  for (int64_t i = 0; i < W; ++i) all[i] = static_cast<int32_t>(i * T);
  std::vector<std::vector<int32_t>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<int32_t> ep(seen.begin() + e * W, seen.begin() + (e + 1) * W);
    epochs.push_back(ep);
    std::sort(ep.begin(), ep.end());
    EXPECT_EQ(ep, all) << "epoch " << e;  // a permutation of all windows
  }
  EXPECT_NE(epochs[0], epochs[1]);  // reshuffled each epoch
  EXPECT_NE(epochs[0], all);        // and not corpus order
  // 3 W windows consumed plus the rest of the last batch.
  EXPECT_EQ(l.state().epoch, 3u);
  EXPECT_EQ(l.state().index, seen.size() - 3 * W);
  EXPECT_NEAR(l.epochs_done(), 3.0 + (seen.size() - 3.0 * W) / W, 1e-12);
  EXPECT_DOUBLE_EQ(l.epochs_for(2 * l.tokens_per_epoch()), 2.0);
}

TEST(BatchLoader, SameSeedSameBatchesOtherSeedOtherBatches) {
  const auto tokens = position_tokens(5000);
  BatchLoader a(tokens, 32, 5), b(tokens, 32, 5), c(tokens, 32, 6);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    const Batch ba = next(a, 4);
    EXPECT_EQ(ba, next(b, 4)) << "batch " << i;
    differs |= !(ba == next(c, 4));
  }
  EXPECT_TRUE(differs);
}

TEST(BatchLoader, RestoredStateReproducesTheBatchesExactly) {
  const auto tokens = position_tokens(2000);  // W = 1999 / 10 = 199
  for (int before : {0, 3, 19, 20, 45}) {     // 20 * 10 > 199: resume inside later epochs too
    BatchLoader run(tokens, 10, 9);
    for (int i = 0; i < before; ++i) next(run, 10);
    const LoaderState saved = run.state();
    std::vector<Batch> expected;
    for (int i = 0; i < 30; ++i) expected.push_back(next(run, 10));

    BatchLoader resumed(tokens, 10, 9);
    resumed.set_state(saved);
    EXPECT_EQ(resumed.state(), saved);
    for (int i = 0; i < 30; ++i) EXPECT_EQ(next(resumed, 10), expected[i]) << before << "/" << i;
    EXPECT_EQ(resumed.state(), run.state());
  }
}

TEST(BatchLoader, RejectsStatesAndCorporaThatDoNotFit) {
  const auto tokens = position_tokens(100);
  BatchLoader l(tokens, 10, 0);  // W = 9
  expect_input_error([&] { l.set_state({0, 9}); }, {"window 9", "9 windows", "seq_len 10"});
  l.set_state({4, 8});
  EXPECT_EQ(l.state(), (LoaderState{4, 8}));
  expect_input_error([&] { BatchLoader(std::span<const uint16_t>(tokens).first(10), 10, 0); },
                     {"data.path", "10 tokens", "11 tokens"});
  expect_input_error([&] { BatchLoader(tokens, 0, 0); }, {"model.seq_len"});
}

TEST(ValidationSet, AllWindowsInOrderAndIdenticalAcrossPasses) {
  const auto tokens = position_tokens(1001);
  ValidationSet vs(tokens, 10);  // W = 100
  ASSERT_EQ(vs.num_windows(), 100);
  EXPECT_EQ(vs.num_tokens(), 1000);
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(vs.starts()[i], i * 10);
  const int B = 16;
  EXPECT_EQ(vs.num_batches(B), 7);
  auto pass = [&] {
    std::vector<int32_t> xs, ys;
    std::vector<int32_t> x(B * 10), y(B * 10);
    for (int64_t b = 0; b < vs.num_batches(B); ++b) {
      const int rows = vs.batch(b, B, x.data(), y.data());
      EXPECT_EQ(rows, b < 6 ? 16 : 4);
      xs.insert(xs.end(), x.begin(), x.begin() + rows * 10);
      ys.insert(ys.end(), y.begin(), y.begin() + rows * 10);
    }
    return std::make_pair(xs, ys);
  };
  const auto p1 = pass();
  EXPECT_EQ(p1, pass());
  ASSERT_EQ(p1.first.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {  // the val stream in order, each target once
    EXPECT_EQ(p1.first[i], i);
    EXPECT_EQ(p1.second[i], i + 1);
  }
}

TEST(ValidationSet, CapTakesEvenlySpacedWindowsAcrossTheSplit) {
  const auto tokens = position_tokens(10'001);
  ValidationSet vs(tokens, 10, /*max_tokens=*/250);  // W = 1000, K = 25
  ASSERT_EQ(vs.num_windows(), 25);
  EXPECT_EQ(vs.starts().front(), 0);
  for (int64_t j = 0; j < 25; ++j) EXPECT_EQ(vs.starts()[j], j * 40 * 10);
  EXPECT_GT(vs.starts().back(), 9000);  // reaches the end of the split
  EXPECT_EQ(ValidationSet(tokens, 10, 5).num_windows(), 1);             // at least one window
  EXPECT_EQ(ValidationSet(tokens, 10, 1'000'000).num_windows(), 1000);  // cap above size
  EXPECT_EQ(ValidationSet(tokens, 10, 250).starts(), vs.starts());
}

TEST(ValidationSet, TooSmallSplitBlamesValFraction) {
  const auto tokens = position_tokens(64);
  expect_input_error([&] { ValidationSet(tokens, 64); }, {"data.val_fraction", "64 tokens", "65"});
}

}  // namespace
}  // namespace scalelab::data
