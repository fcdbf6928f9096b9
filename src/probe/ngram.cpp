#include "probe/ngram.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace scalelab::probe {
namespace {

constexpr int kMaxOrder = 6;
// D when a table has no singletons, so n1 / (n1 + 2 n2) gives no usable estimate
// (KenLM's --discount_fallback default for D1).
constexpr double kFallbackDiscount = 0.5;

// Ney, Essen and Kneser (1994): D = n1 / (n1 + 2 n2), n_r = number of entries with count r.
double discount_of(const std::vector<uint32_t>& counts) {
  uint64_t n1 = 0, n2 = 0;
  for (uint32_t c : counts) {
    n1 += (c == 1);
    n2 += (c == 2);
  }
  if (n1 == 0) return kFallbackDiscount;
  return static_cast<double>(n1) / static_cast<double>(n1 + 2 * n2);
}

// Stable counting sort of `in` into `out` by key(p) in [0, buckets).
template <class Key>
void counting_sort(const std::vector<uint32_t>& in, std::vector<uint32_t>& out, size_t buckets, Key key) {
  std::vector<uint32_t> start(buckets + 1, 0);
  for (uint32_t p : in) ++start[key(p) + 1];
  for (size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  for (uint32_t p : in) out[start[key(p)]++] = p;
}

}  // namespace

KneserNeyModel::KneserNeyModel(std::span<const uint16_t> tokens, int vocab, int max_order,
                               std::string_view what)
    : vocab_(vocab), max_order_(max_order) {
  SL_REQUIRE(max_order >= 1 && max_order <= kMaxOrder, "{}: n-gram max_order {} is not in [1, {}]", what,
             max_order, kMaxOrder);
  SL_REQUIRE(vocab >= 2 && vocab <= 65536, "{}: n-gram vocab {} is not in [2, 65536]", what, vocab);
  SL_REQUIRE(tokens.size() >= static_cast<size_t>(max_order) + 1,
             "{}: {} tokens, an order-{} n-gram model needs at least {}", what, tokens.size(), max_order,
             max_order + 1);
  SL_REQUIRE(tokens.size() < std::numeric_limits<uint32_t>::max(),
             "{}: {} tokens, an n-gram model holds at most 2^32 - 2", what, tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    SL_REQUIRE(tokens[i] < vocab, "{}: token {} at position {} is not below vocab {}", what, tokens[i], i, vocab);

  const int M = max_order - 1;  // deepest context length
  const size_t N = tokens.size();
  const uint16_t* t = tokens.data();

  // Sort every position p (the follower) by its reversed context (t[p-1], t[p-2], ...,
  // t[p-M]), as digits t+1 with 0 for "before the start", so that for every m the
  // positions sharing their last m context tokens are contiguous: LSD radix, least
  // significant digit (furthest back) first.
  std::vector<uint32_t> pos(N), tmp(N);
  for (size_t i = 0; i < N; ++i) pos[i] = static_cast<uint32_t>(i);
  for (int d = M; d >= 1; --d) {
    counting_sort(pos, tmp, static_cast<size_t>(vocab) + 1,
                  [&](uint32_t p) -> size_t { return p >= static_cast<uint32_t>(d) ? t[p - d] + 1u : 0u; });
    pos.swap(tmp);
  }
  std::vector<uint32_t>().swap(tmp);

  depth_.resize(static_cast<size_t>(max_order));
  // Per depth: dense follower counters and the list of tokens touched in the open node.
  std::vector<std::vector<uint32_t>> raw_cnt(depth_.size(), std::vector<uint32_t>(vocab, 0));
  std::vector<std::vector<uint32_t>> cont_cnt(depth_.size(), std::vector<uint32_t>(vocab, 0));
  std::vector<std::vector<uint16_t>> raw_seen(depth_.size()), cont_seen(depth_.size());

  auto flush = [](Table& table, std::vector<uint32_t>& cnt, std::vector<uint16_t>& seen) {
    std::sort(seen.begin(), seen.end());
    table.begin.push_back(static_cast<uint32_t>(table.word.size()));
    uint64_t total = 0;
    for (uint16_t w : seen) {
      table.word.push_back(w);
      table.count.push_back(cnt[w]);
      total += cnt[w];
      cnt[w] = 0;
    }
    table.total.push_back(static_cast<uint32_t>(total));
    seen.clear();
  };
  // Closing the open node of depth m: its distinct followers w are one left extension
  // (the token m steps back) of the context of depth m-1 followed by w, which is what the
  // continuation count N1+(. h w) of the parent counts. Children close before parents.
  auto close = [&](int m) {
    if (m >= 1) {
      for (uint16_t w : raw_seen[m])
        if (cont_cnt[m - 1][w]++ == 0) cont_seen[m - 1].push_back(w);
    }
    flush(depth_[m].raw, raw_cnt[m], raw_seen[m]);
    if (m < M) flush(depth_[m].cont, cont_cnt[m], cont_seen[m]);
  };

  int open_max = -1;  // depths 0..open_max have an open node
  for (size_t j = 0; j < N; ++j) {
    const uint32_t p = pos[j];
    const int depth_max = static_cast<int>(std::min<uint32_t>(p, static_cast<uint32_t>(M)));
    // Length of the context shared with the previous position (both contexts present).
    int shared = -1;
    if (j > 0) {
      const uint32_t q = pos[j - 1];
      shared = 0;
      while (shared < depth_max && static_cast<uint32_t>(shared) < q && t[p - shared - 1] == t[q - shared - 1])
        ++shared;
    }
    for (int m = open_max; m > shared; --m) close(m);
    for (int m = shared + 1; m <= depth_max; ++m) {
      Depth& dm = depth_[m];
      dm.token.push_back(m >= 1 ? t[p - m] : 0);
      if (m < M) dm.child_begin.push_back(static_cast<uint32_t>(depth_[m + 1].token.size()));
    }
    open_max = depth_max;
    const uint16_t w = t[p];
    for (int m = 0; m <= depth_max; ++m)
      if (raw_cnt[m][w]++ == 0) raw_seen[m].push_back(w);
  }
  for (int m = open_max; m >= 0; --m) close(m);

  distinct_.resize(depth_.size());
  for (int m = 0; m <= M; ++m) {
    Depth& dm = depth_[m];
    dm.raw.begin.push_back(static_cast<uint32_t>(dm.raw.word.size()));
    dm.raw.discount = discount_of(dm.raw.count);
    if (m < M) {
      dm.child_begin.push_back(static_cast<uint32_t>(depth_[m + 1].token.size()));
      dm.cont.begin.push_back(static_cast<uint32_t>(dm.cont.word.size()));
      dm.cont.discount = discount_of(dm.cont.count);
    }
    distinct_[m] = static_cast<int64_t>(dm.raw.word.size());
  }
}

int KneserNeyModel::walk(std::span<const uint16_t> history, int max_depth, uint32_t* node) const {
  node[0] = 0;
  const int steps = std::min<int>(max_depth, static_cast<int>(std::min<size_t>(history.size(), kMaxOrder)));
  int reached = 1;
  for (int d = 1; d <= steps; ++d) {
    const uint16_t u = history[history.size() - d];
    const Depth& parent = depth_[d - 1];
    const auto& tok = depth_[d].token;
    const auto first = tok.begin() + parent.child_begin[node[d - 1]];
    const auto last = tok.begin() + parent.child_begin[node[d - 1] + 1];
    const auto it = std::lower_bound(first, last, u);
    if (it == last || *it != u) break;
    node[d] = static_cast<uint32_t>(it - tok.begin());
    ++reached;
  }
  return reached;
}

void KneserNeyModel::apply_level(const Table& t, uint32_t node, std::span<double> p) const {
  const uint32_t a_total = t.total[node];
  if (a_total == 0) return;  // context unseen at this level: all mass to the lower one
  const double A = a_total, D = t.discount;
  const uint32_t b = t.begin[node], e = t.begin[node + 1];
  const double gamma = D * static_cast<double>(e - b) / A;
  for (double& x : p) x *= gamma;
  for (uint32_t i = b; i < e; ++i) p[t.word[i]] += std::max(t.count[i] - D, 0.0) / A;
}

double KneserNeyModel::level_probability(const Table& t, uint32_t node, uint16_t w, double lower) {
  const uint32_t a_total = t.total[node];
  if (a_total == 0) return lower;
  const double A = a_total, D = t.discount;
  const uint32_t b = t.begin[node], e = t.begin[node + 1];
  const double gamma = D * static_cast<double>(e - b) / A;
  const auto first = t.word.begin() + b, last = t.word.begin() + e;
  const auto it = std::lower_bound(first, last, w);
  double p = lower * gamma;
  if (it != last && *it == w) p += std::max(t.count[it - t.word.begin()] - D, 0.0) / A;
  return p;
}

void KneserNeyModel::check_order(int order, const char* method) const {
  SL_REQUIRE(order >= 1 && order <= max_order_, "KneserNeyModel::{}: order {} is not in [1, {}]", method, order,
             max_order_);
}

void KneserNeyModel::check_history(std::span<const uint16_t> history, const char* method) const {
  const size_t used = std::min<size_t>(history.size(), static_cast<size_t>(max_order_ - 1));
  for (size_t i = history.size() - used; i < history.size(); ++i)
    SL_REQUIRE(history[i] < vocab_, "KneserNeyModel::{}: history token {} at position {} is not below vocab {}",
               method, history[i], i, vocab_);
}

void KneserNeyModel::distribution(int order, std::span<const uint16_t> history, std::span<double> out) const {
  check_order(order, "distribution");
  check_history(history, "distribution");
  SL_REQUIRE(out.size() == static_cast<size_t>(vocab_), "KneserNeyModel::distribution: out has {} entries, not vocab {}",
             out.size(), vocab_);
  const int top = static_cast<int>(std::min<size_t>(order - 1, history.size()));
  std::array<uint32_t, kMaxOrder> node{};
  const int reached = walk(history, top, node.data());
  std::fill(out.begin(), out.end(), 1.0 / vocab_);
  for (int m = 0; m < top && m < reached; ++m) apply_level(depth_[m].cont, node[m], out);
  if (top < reached) apply_level(depth_[top].raw, node[top], out);
}

void KneserNeyModel::distributions(std::span<const uint16_t> history, std::span<double> out) const {
  check_history(history, "distributions");
  const size_t V = static_cast<size_t>(vocab_);
  SL_REQUIRE(out.size() == static_cast<size_t>(max_order_) * V,
             "KneserNeyModel::distributions: out has {} entries, not max_order * vocab = {}", out.size(),
             static_cast<size_t>(max_order_) * V);
  const int deepest = static_cast<int>(std::min<size_t>(max_order_ - 1, history.size()));
  std::array<uint32_t, kMaxOrder> node{};
  const int reached = walk(history, deepest, node.data());
  std::vector<double> lower(V, 1.0 / vocab_);  // levels 1..m with continuation counts
  for (int n = 1; n <= max_order_; ++n) {
    std::span<double> row = out.subspan((n - 1) * V, V);
    const int m = n - 1;
    if (m > deepest) {  // history too short: the order-(deepest+1) model, as distribution()
      std::copy_n(out.begin() + deepest * V, V, row.begin());
      continue;
    }
    std::copy(lower.begin(), lower.end(), row.begin());
    if (m < reached) {
      apply_level(depth_[m].raw, node[m], row);
      if (m < max_order_ - 1) apply_level(depth_[m].cont, node[m], lower);
    }
  }
}

double KneserNeyModel::probability(int order, std::span<const uint16_t> history, uint16_t token) const {
  check_order(order, "probability");
  check_history(history, "probability");
  SL_REQUIRE(token < vocab_, "KneserNeyModel::probability: token {} is not below vocab {}", token, vocab_);
  const int top = static_cast<int>(std::min<size_t>(order - 1, history.size()));
  std::array<uint32_t, kMaxOrder> node{};
  const int reached = walk(history, top, node.data());
  double p = 1.0 / vocab_;
  for (int m = 0; m < top && m < reached; ++m) p = level_probability(depth_[m].cont, node[m], token, p);
  if (top < reached) p = level_probability(depth_[top].raw, node[top], token, p);
  return p;
}

double KneserNeyModel::cross_entropy(int order, std::span<const uint16_t> tokens) const {
  check_order(order, "cross_entropy");
  return cross_entropies(*this, tokens)[order - 1];
}

double KneserNeyModel::raw_discount(int level) const {
  check_order(level, "raw_discount");
  return depth_[level - 1].raw.discount;
}

double KneserNeyModel::continuation_discount(int level) const {
  SL_REQUIRE(level >= 1 && level < max_order_, "KneserNeyModel::continuation_discount: level {} is not in [1, {})",
             level, max_order_);
  return depth_[level - 1].cont.discount;
}

int64_t KneserNeyModel::distinct_ngrams(int k) const {
  check_order(k, "distinct_ngrams");
  return distinct_[k - 1];
}

std::vector<double> cross_entropies(const KneserNeyModel& model, std::span<const uint16_t> tokens) {
  const int K = model.max_order_;
  SL_REQUIRE(tokens.size() >= 2, "tokens: {} tokens, a cross-entropy needs at least 2", tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    SL_REQUIRE(tokens[i] < model.vocab_, "tokens: token {} at position {} is not below vocab {}", tokens[i], i,
               model.vocab_);
  // One walk per position serves every order: the order-n probability is the raw level n
  // on top of the continuation levels 1..n-1, which the order-(n+1) model shares.
  std::vector<double> sum(K, 0.0);
  std::array<uint32_t, kMaxOrder> node{};
  std::array<double, kMaxOrder> p{};
  for (size_t i = 1; i < tokens.size(); ++i) {
    const int deepest = static_cast<int>(std::min<size_t>(K - 1, i));
    const auto history = tokens.subspan(i - deepest, deepest);
    const int reached = model.walk(history, deepest, node.data());
    const uint16_t w = tokens[i];
    double lower = 1.0 / model.vocab_;
    for (int m = 0; m <= deepest; ++m) {
      p[m] = lower;
      if (m < reached) {
        p[m] = KneserNeyModel::level_probability(model.depth_[m].raw, node[m], w, lower);
        if (m < K - 1) lower = KneserNeyModel::level_probability(model.depth_[m].cont, node[m], w, lower);
      }
    }
    for (int n = 1; n <= K; ++n) sum[n - 1] -= std::log(p[std::min(n - 1, deepest)]);
  }
  for (double& s : sum) s /= static_cast<double>(tokens.size() - 1);
  return sum;
}

}  // namespace scalelab::probe
