#include "core/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/progress.h"

namespace scalelab {
namespace {

TEST(Rng, SameSeedSameStreamAndStateRestores) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  uint64_t saved = a.state();
  std::vector<uint64_t> first;
  for (int i = 0; i < 10; ++i) first.push_back(a.next_u64());
  a.set_state(saved);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), first[i]);
}

TEST(Rng, KnownSplitMix64Value) {
  // SplitMix64 with seed 0: the first output is 0xE220A8397B1DCDAF (the reference
  // implementation by Vigna, splitmix64.c).
  Rng r(0);
  EXPECT_EQ(r.next_u64(), 0xE220A8397B1DCDAFull);
}

TEST(Rng, UniformAndNormalMoments) {
  Rng r(7);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    double z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
}

TEST(Rng, BelowStaysInRangeAndSplitStreamsDiffer) {
  Rng r(3);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    uint64_t k = r.below(7);
    ASSERT_LT(k, 7u);
    counts[k]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  Rng s1 = r.split(1), s2 = r.split(2);
  EXPECT_NE(s1.next_u64(), s2.next_u64());
}

TEST(FormatDuration, Units) {
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

}  // namespace
}  // namespace scalelab
