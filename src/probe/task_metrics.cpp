// Answer metrics (task_metrics.h): edit distance, per-answer scores and their means.
#include "probe/task_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace scalelab::probe {

int edit_distance(std::span<const uint16_t> a, std::span<const uint16_t> b) {
  // Wagner-Fischer dynamic programme, one row: row[j] = distance(a[0..i), b[0..j)).
  std::vector<int> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];  // distance(a[0..i-1), b[0..j-1))
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];  // distance(a[0..i-1), b[0..j))
      row[j] = std::min({up + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

AnswerScore score_answer(std::span<const uint16_t> generated, std::span<const uint16_t> target,
                         double loglik) {
  SL_ASSERT(!target.empty());
  AnswerScore s;
  s.exact = generated.size() == target.size() &&
            std::equal(generated.begin(), generated.end(), target.begin());
  const size_t common = std::min(generated.size(), target.size());
  size_t matches = 0;
  for (size_t i = 0; i < common; ++i) matches += generated[i] == target[i];
  s.token_accuracy = static_cast<double>(matches) / static_cast<double>(target.size());
  s.edit_distance = edit_distance(generated, target);
  s.loglik = loglik;
  return s;
}

MetricSummary summarize(std::span<const AnswerScore> scores) {
  MetricSummary m;
  m.n = static_cast<int64_t>(scores.size());
  if (scores.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    m.exact_match = m.token_accuracy = m.edit_distance = m.loglik = nan;
    return m;
  }
  for (const AnswerScore& s : scores) {
    m.exact_match += s.exact ? 1.0 : 0.0;
    m.token_accuracy += s.token_accuracy;
    m.edit_distance += s.edit_distance;
    m.loglik += s.loglik;
  }
  const double n = static_cast<double>(scores.size());
  m.exact_match /= n;
  m.token_accuracy /= n;
  m.edit_distance /= n;
  m.loglik /= n;
  return m;
}

}  // namespace scalelab::probe
