// In-context-learning metrics (probe/icl_metrics.h) on data whose answer is known:
// the context curve a + b t^-c recovered from exact and mildly noisy losses, the early
// and late positions for long and short contexts, the band means (edges clipped), the
// ICL score of a model that copies perfectly (computed here by hand), and the induction
// rows and score on hand-made losses.
#include "probe/icl_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include "../core/core_testing.h"
#include "core/error.h"

namespace scalelab::probe {
namespace {

std::vector<double> power_curve(int T, double a, double b, double c) {
  std::vector<double> y(T);
  for (int t = 1; t <= T; ++t) y[t - 1] = a + b * std::pow(t, -c);
  return y;
}

TEST(ContextCurve, RecoversExactParameters) {
  struct Case { int T; double a, b, c; };
  for (const Case k : {Case{256, 2.0, 3.0, 0.5}, Case{512, 1.2, 0.8, 1.3}, Case{64, 3.5, 1.5, 0.2}}) {
    const ContextCurve f = fit_context_curve(power_curve(k.T, k.a, k.b, k.c));
    ASSERT_TRUE(f.ok) << k.T;
    EXPECT_NEAR(f.a, k.a, 1e-4) << k.T;
    EXPECT_NEAR(f.b, k.b, 1e-4) << k.T;
    EXPECT_NEAR(f.c, k.c, 1e-4) << k.T;
    EXPECT_LT(f.rms, 1e-6) << k.T;
    EXPECT_NEAR(f.at(10.0), k.a + k.b * std::pow(10.0, -k.c), 1e-4);
  }
}

TEST(ContextCurve, RecoversParametersFromMildlyNoisyLosses) {
  // Deterministic zero-mean noise of amplitude 0.005 nats (a sine that never lines up
  // with the curve's shape).
  std::vector<double> y = power_curve(512, 2.0, 3.0, 0.7);
  for (size_t i = 0; i < y.size(); ++i) y[i] += 0.005 * std::sin(1.7 * static_cast<double>(i) + 0.3);
  const ContextCurve f = fit_context_curve(y);
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(f.a, 2.0, 0.02);
  EXPECT_NEAR(f.b, 3.0, 0.05);
  EXPECT_NEAR(f.c, 0.7, 0.02);
  EXPECT_GT(f.rms, 0.002);  // the residual is the noise: about 0.005 / sqrt(2)
  EXPECT_LT(f.rms, 0.005);
}

TEST(ContextCurve, SkipsNonFiniteLossesAndNeedsFourPoints) {
  std::vector<double> y = power_curve(128, 1.0, 2.0, 0.9);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  y[3] = nan;
  y[70] = std::numeric_limits<double>::infinity();
  const ContextCurve f = fit_context_curve(y);
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(f.a, 1.0, 1e-4);
  EXPECT_NEAR(f.b, 2.0, 1e-4);
  EXPECT_NEAR(f.c, 0.9, 1e-4);

  EXPECT_FALSE(fit_context_curve(std::vector<double>{3.0, 2.0, 1.5}).ok);
  EXPECT_FALSE(fit_context_curve(std::vector<double>{3.0, nan, 2.0, 1.5, nan}).ok);
  EXPECT_TRUE(fit_context_curve(std::vector<double>{3.0, 2.0, 1.7, 1.5}).ok);
}

TEST(IclPositions, LongAndShortContexts) {
  for (int T : {512, 513, 1024, 2048}) {
    const IclPositions p = icl_positions(T);
    EXPECT_EQ(p.early, 49) << T;  // the 50th token
    EXPECT_EQ(p.late, 499) << T;  // the 500th token
  }
  // 256 * 50/512 = 25 tokens, 256 * 500/512 = 250 tokens.
  EXPECT_EQ(icl_positions(256).early, 24);
  EXPECT_EQ(icl_positions(256).late, 249);
  // 128 * 50/512 = 12.5 -> 13 tokens (half away from zero), 128 * 500/512 = 125 tokens.
  EXPECT_EQ(icl_positions(128).early, 12);
  EXPECT_EQ(icl_positions(128).late, 124);
  // 32: 3.125 -> 3 tokens, 31.25 -> 31 tokens.
  EXPECT_EQ(icl_positions(32).early, 2);
  EXPECT_EQ(icl_positions(32).late, 30);
  // Tiny contexts: at least one token, at most T, and late != early.
  EXPECT_EQ(icl_positions(2).early, 0);
  EXPECT_EQ(icl_positions(2).late, 1);
  EXPECT_EQ(icl_positions(3).early, 0);
  EXPECT_EQ(icl_positions(3).late, 2);
  for (int T = 2; T < 600; ++T) {
    const IclPositions p = icl_positions(T);
    ASSERT_GE(p.early, 0) << T;
    ASSERT_LT(p.early, p.late) << T;
    ASSERT_LT(p.late, T) << T;
  }
  EXPECT_FALSE(core_testing::input_error_message([] { icl_positions(1); }).empty());
}

TEST(BandMean, AveragesPlusMinusTOver64ClippedToTheContext) {
  std::vector<double> y(128);
  for (int i = 0; i < 128; ++i) y[i] = i * i;  // non-linear, so an off-by-one shows
  // T = 128: half-width 2, band [38, 42].
  EXPECT_DOUBLE_EQ(band_mean(y, 40), (38.0 * 38 + 39 * 39 + 40 * 40 + 41 * 41 + 42 * 42) / 5);
  // Clipped at the edges: [0, 2] and [125, 127].
  EXPECT_DOUBLE_EQ(band_mean(y, 0), (0.0 + 1 + 4) / 3);
  EXPECT_DOUBLE_EQ(band_mean(y, 127), (125.0 * 125 + 126 * 126 + 127 * 127) / 3);
  // T < 64: the band is the single position.
  const std::vector<double> short_y = {5, 6, 7, 8, 9};
  EXPECT_DOUBLE_EQ(band_mean(short_y, 2), 7.0);
}

// A model that copies perfectly: per-position losses ln V before position `repeat_from`
// (nothing in the context predicts random tokens) and 0 from there on.
std::vector<double> copier_losses(int T, int repeat_from, double lnV) {
  std::vector<double> y(T, 0.0);
  for (int i = 0; i < repeat_from; ++i) y[i] = lnV;
  return y;
}

TEST(IclScore, PerfectCopierScoresMinusLnV) {
  const double lnV = std::log(256.0);
  // Repeat starts at half the context: both bands lie wholly in one half.
  // T = 512: bands [41, 57] (all ln V) and [491, 507] (all 0).
  EXPECT_NEAR(icl_score(copier_losses(512, 256, lnV)), -lnV, 1e-12);
  // T = 64: positions 5 and 62, bands [4, 6] and [61, 63].
  EXPECT_NEAR(icl_score(copier_losses(64, 32, lnV)), -lnV, 1e-12);
  // T = 32 (< 64): single positions 2 and 30.
  EXPECT_NEAR(icl_score(copier_losses(32, 16, lnV)), -lnV, 1e-12);
}

TEST(IclScore, BandStraddlingTheRepeatIsAveraged) {
  const double lnV = std::log(50257.0);
  // T = 128: late position 124, band [122, 126]. Copying starts at index 124, so the
  // band holds ln V twice (122, 123) and 0 three times: 2 ln V / 5. The early band
  // [10, 14] is all ln V. Score = 2/5 ln V - ln V = -3/5 ln V.
  EXPECT_NEAR(icl_score(copier_losses(128, 124, lnV)), -0.6 * lnV, 1e-12);
  // T = 512, copying from index 45: the early band [41, 57] holds 4 x ln V of 17.
  EXPECT_NEAR(icl_score(copier_losses(512, 45, lnV)), 0.0 - 4.0 / 17.0 * lnV, 1e-12);
  // No copying at all: no in-context learning.
  EXPECT_NEAR(icl_score(copier_losses(256, 256, lnV)), 0.0, 1e-12);
}

TEST(InductionTokens, RowsRepeatTheirFirstHalfFromTheAlphabet) {
  const std::vector<uint16_t> alphabet = {3, 17, 42, 99, 250};
  const int count = 6, L = 10;
  const std::vector<int32_t> t = induction_tokens(count, L, alphabet, 123);
  ASSERT_EQ(t.size(), static_cast<size_t>(count * 2 * L));
  std::set<int32_t> seen;
  for (int r = 0; r < count; ++r)
    for (int i = 0; i < L; ++i) {
      const int32_t a = t[r * 2 * L + i];
      EXPECT_EQ(t[r * 2 * L + L + i], a) << "row " << r << " token " << i;
      EXPECT_NE(std::find(alphabet.begin(), alphabet.end(), a), alphabet.end()) << a;
      seen.insert(a);
    }
  EXPECT_EQ(seen.size(), alphabet.size());  // 60 uniform draws from 5 letters reach all of them
  // Rows differ from each other (random draws, not one row copied).
  EXPECT_FALSE(std::equal(t.begin(), t.begin() + 2 * L, t.begin() + 2 * L));

  EXPECT_EQ(induction_tokens(count, L, alphabet, 123), t);  // deterministic in the seed
  EXPECT_NE(induction_tokens(count, L, alphabet, 124), t);

  EXPECT_FALSE(core_testing::input_error_message([&] { induction_tokens(2, 1, alphabet, 1); }).empty());
  EXPECT_FALSE(core_testing::input_error_message([&] { induction_tokens(0, 4, alphabet, 1); }).empty());
  EXPECT_FALSE(core_testing::input_error_message([] {
                 induction_tokens(2, 4, std::span<const uint16_t>(), 1);
               }).empty());
}

TEST(InductionScore, PerfectCopierDropsByTheFirstCopyLoss) {
  const int count = 3, L = 5, W = 2 * L - 1;  // 9 positions: p predicts token p + 1
  const double lnV = std::log(64.0);
  std::vector<float> losses(count * W);
  for (int r = 0; r < count; ++r)
    for (int p = 0; p < W; ++p) {
      float v = 0;
      if (p <= L - 2) v = static_cast<float>(lnV + 0.1 * r);  // first copy, tokens 2..L
      if (p == L - 1) v = 1000.0f;  // the first repeat token: unpredictable, not counted
      losses[r * W + p] = v;
    }
  const InductionScore s = induction_score(losses, count, L);
  EXPECT_NEAR(s.first, lnV + 0.1, 1e-6);  // mean of lnV, lnV + 0.1, lnV + 0.2
  EXPECT_NEAR(s.repeat, 0.0, 1e-12);
  EXPECT_NEAR(s.drop, s.first - s.repeat, 1e-12);
}

TEST(InductionScore, MeansOverTheCountedPositionsOnly) {
  // Hand-made losses, count 2, L = 3, W = 5: positions 0, 1 (first), 2 (skipped), 3, 4 (repeat).
  const std::vector<float> losses = {4, 2, 99, 1, 0.5f,  //
                                     6, 4, 99, 3, 1.5f};
  const InductionScore s = induction_score(losses, 2, 3);
  EXPECT_NEAR(s.first, (4 + 2 + 6 + 4) / 4.0, 1e-6);
  EXPECT_NEAR(s.repeat, (1 + 0.5 + 3 + 1.5) / 4.0, 1e-6);
  EXPECT_NEAR(s.drop, 4.0 - 1.5, 1e-6);
  // A model that does not copy: no drop.
  const std::vector<float> flat(10, 2.5f);
  EXPECT_NEAR(induction_score(flat, 2, 3).drop, 0.0, 1e-12);
  // Wrong number of losses is refused.
  EXPECT_FALSE(core_testing::input_error_message([&] { induction_score(losses, 2, 4); }).empty());
}

}  // namespace
}  // namespace scalelab::probe
