// Answer metrics (probe/task_metrics.h) on hand-made outputs with known answers.
#include "probe/task_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/rng.h"

namespace scalelab::probe {
namespace {

std::vector<uint16_t> toks(const std::string& s) { return {s.begin(), s.end()}; }

int ed(const std::string& a, const std::string& b) { return edit_distance(toks(a), toks(b)); }

// Reference: Levenshtein's recursive definition, memoised, written independently of the
// one-row dynamic programme under test.
int reference_edit_distance(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b) {
  std::map<std::pair<size_t, size_t>, int> memo;
  std::function<int(size_t, size_t)> d = [&](size_t i, size_t j) -> int {
    if (i == a.size()) return static_cast<int>(b.size() - j);
    if (j == b.size()) return static_cast<int>(a.size() - i);
    auto it = memo.find({i, j});
    if (it != memo.end()) return it->second;
    int v = a[i] == b[j] ? d(i + 1, j + 1)
                         : 1 + std::min({d(i + 1, j), d(i, j + 1), d(i + 1, j + 1)});
    memo[{i, j}] = v;
    return v;
  };
  return d(0, 0);
}

TEST(EditDistance, KnownAnswers) {
  EXPECT_EQ(ed("kitten", "sitting"), 3);  // k->s, e->i, +g
  EXPECT_EQ(ed("sitting", "kitten"), 3);
  EXPECT_EQ(ed("", ""), 0);
  EXPECT_EQ(ed("", "abc"), 3);
  EXPECT_EQ(ed("abcd", ""), 4);
  EXPECT_EQ(ed("same", "same"), 0);
  EXPECT_EQ(ed("ab", "ba"), 2);           // a transposition costs two edits
  EXPECT_EQ(ed("9590", "5990"), 2);
  EXPECT_EQ(ed("flaw", "lawn"), 2);       // delete f, insert n
  EXPECT_EQ(ed("saturday", "sunday"), 3);
  EXPECT_EQ(ed("abc", "xyz"), 3);
  // Tokens above the byte range are compared as ids, not bytes.
  EXPECT_EQ(edit_distance(std::vector<uint16_t>{300, 301}, std::vector<uint16_t>{300, 44}), 1);
}

TEST(EditDistance, MatchesTheRecursiveDefinitionAndIsAMetric) {
  Rng rng(3);
  auto random = [&] {
    std::vector<uint16_t> v(rng.below(8));
    for (auto& t : v) t = static_cast<uint16_t>(rng.below(3));  // small alphabet: many matches
    return v;
  };
  for (int trial = 0; trial < 300; ++trial) {
    const auto a = random(), b = random(), c = random();
    const int ab = edit_distance(a, b);
    ASSERT_EQ(ab, reference_edit_distance(a, b));
    EXPECT_EQ(ab, edit_distance(b, a));
    EXPECT_LE(edit_distance(a, c), ab + edit_distance(b, c));
    EXPECT_GE(ab, std::abs(static_cast<int>(a.size()) - static_cast<int>(b.size())));
    EXPECT_LE(ab, static_cast<int>(std::max(a.size(), b.size())));
    EXPECT_EQ(ab == 0, a == b);
  }
}

TEST(ScoreAnswer, FourMetricsOfOneOutput) {
  const auto target = toks("9590");
  AnswerScore s = score_answer(toks("9590"), target, -0.1);
  EXPECT_TRUE(s.exact);
  EXPECT_DOUBLE_EQ(s.token_accuracy, 1.0);
  EXPECT_EQ(s.edit_distance, 0);
  EXPECT_DOUBLE_EQ(s.loglik, -0.1);

  s = score_answer(toks("9591"), target, -2.3);  // last digit wrong
  EXPECT_FALSE(s.exact);
  EXPECT_DOUBLE_EQ(s.token_accuracy, 0.75);
  EXPECT_EQ(s.edit_distance, 1);
  EXPECT_DOUBLE_EQ(s.loglik, -2.3);

  s = score_answer(toks("5990"), target, -4);  // transposed digits: 2 positions wrong
  EXPECT_DOUBLE_EQ(s.token_accuracy, 0.5);
  EXPECT_EQ(s.edit_distance, 2);

  s = score_answer(toks("959"), target, -1);  // one short: the missing position is wrong
  EXPECT_FALSE(s.exact);
  EXPECT_DOUBLE_EQ(s.token_accuracy, 0.75);
  EXPECT_EQ(s.edit_distance, 1);

  s = score_answer(toks("95900"), target, -1);  // one extra: accuracy full, not exact
  EXPECT_FALSE(s.exact);
  EXPECT_DOUBLE_EQ(s.token_accuracy, 1.0);
  EXPECT_EQ(s.edit_distance, 1);

  s = score_answer(toks(""), target, -9);  // nothing generated
  EXPECT_DOUBLE_EQ(s.token_accuracy, 0.0);
  EXPECT_EQ(s.edit_distance, 4);

  s = score_answer(toks("0959"), target, -9);  // shifted by one: accuracy 0, edit 2
  EXPECT_DOUBLE_EQ(s.token_accuracy, 0.0);
  EXPECT_EQ(s.edit_distance, 2);
}

TEST(Summarize, MeansOverExamples) {
  const auto target = toks("25");
  std::vector<AnswerScore> scores = {score_answer(toks("25"), target, -0.5),
                                     score_answer(toks("24"), target, -1.5),
                                     score_answer(toks("52"), target, -3.0),
                                     score_answer(toks("25"), target, -1.0)};
  const MetricSummary m = summarize(scores);
  EXPECT_EQ(m.n, 4);
  EXPECT_DOUBLE_EQ(m.exact_match, 0.5);
  EXPECT_DOUBLE_EQ(m.token_accuracy, (1 + 0.5 + 0 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(m.edit_distance, (0 + 1 + 2 + 0) / 4.0);
  EXPECT_DOUBLE_EQ(m.loglik, -6.0 / 4.0);

  const MetricSummary empty = summarize({});
  EXPECT_EQ(empty.n, 0);
  EXPECT_TRUE(std::isnan(empty.exact_match));
  EXPECT_TRUE(std::isnan(empty.loglik));
}

}  // namespace
}  // namespace scalelab::probe
