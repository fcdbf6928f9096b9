// Tests of the interpolated Kneser-Ney n-gram baselines (src/probe/ngram.h): hand-computed
// probabilities on "abracadabra", a cross-check against a plain std::map implementation
// of the same formula, normalisation, cross-entropy behaviour, and bad input.
#include "probe/ngram.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "../core/core_testing.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/rng.h"

namespace scalelab::probe {
namespace {

using Tokens = std::vector<uint16_t>;

Tokens bytes_of(const std::string& s) {
  Tokens t;
  for (unsigned char c : s) t.push_back(c);
  return t;
}

Tokens sample_text() {
  return bytes_of(read_file(std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt"));
}

// The independent reference: every k-gram counted in std::maps keyed by token vectors,
// continuation counts from the set of distinct (k+1)-grams, and the interpolated KN
// recursion written as a direct recursion over levels (same spec as ngram.h: D = n1 /
// (n1 + 2 n2), 0.5 when n1 = 0; a short history is predicted by the lower-order model).
class ReferenceKN {
 public:
  ReferenceKN(const Tokens& t, int vocab, int max_order) : V_(vocab), K_(max_order) {
    raw_.resize(K_);
    cont_.resize(K_);
    std::set<Tokens> distinct;
    for (int k = 1; k <= K_; ++k)
      for (size_t i = 0; i + k <= t.size(); ++i) {
        Tokens h(t.begin() + i, t.begin() + i + k - 1);
        raw_[k - 1][h][t[i + k - 1]]++;
        distinct.insert(Tokens(t.begin() + i, t.begin() + i + k));
      }
    for (const Tokens& g : distinct) {  // g = v h w  ->  N1+(. h w) += 1
      const int k = static_cast<int>(g.size()) - 1;
      if (k < 1) continue;
      Tokens h(g.begin() + 1, g.end() - 1);
      cont_[k - 1][h][g.back()]++;
    }
    for (int k = 1; k <= K_; ++k) {
      draw_.push_back(discount(raw_[k - 1]));
      dcont_.push_back(discount(cont_[k - 1]));
    }
  }

  double prob(int order, const Tokens& history, uint16_t w) const {
    const size_t m = std::min<size_t>(order - 1, history.size());
    Tokens h(history.end() - m, history.end());
    return level(static_cast<int>(m) + 1, true, h, w);
  }
  double raw_discount(int k) const { return draw_[k - 1]; }
  double cont_discount(int k) const { return dcont_[k - 1]; }

 private:
  using Table = std::map<Tokens, std::map<uint16_t, uint32_t>>;
  static double discount(const Table& t) {
    double n1 = 0, n2 = 0;
    for (const auto& [h, f] : t)
      for (const auto& [w, c] : f) n1 += (c == 1), n2 += (c == 2);
    return n1 == 0 ? 0.5 : n1 / (n1 + 2 * n2);
  }
  double level(int k, bool top, const Tokens& h, uint16_t w) const {
    const double lower = k == 1 ? 1.0 / V_ : level(k - 1, false, Tokens(h.begin() + 1, h.end()), w);
    const Table& table = top ? raw_[k - 1] : cont_[k - 1];
    const double D = top ? draw_[k - 1] : dcont_[k - 1];
    auto it = table.find(h);
    if (it == table.end()) return lower;
    double A = 0, T = 0, a = 0;
    for (const auto& [u, c] : it->second) A += c, T += 1, a = (u == w ? c : a);
    if (A == 0) return lower;
    return std::max(a - D, 0.0) / A + D * T / A * lower;
  }
  int V_, K_;
  std::vector<Table> raw_, cont_;
  std::vector<double> draw_, dcont_;
};

// Neumaier-compensated sum: a plain sum of 65536 terms alone errs by up to ~1e-11.
double exact_sum(std::span<const double> x) {
  double s = 0, c = 0;
  for (double v : x) {
    const double t = s + v;
    c += std::abs(s) >= std::abs(v) ? (s - t) + v : (v - t) + s;
    s = t;
  }
  return s + c;
}

std::string error_of(const std::function<void()>& f) { return core_testing::input_error_message(f); }

// ---------------------------------------------------------------------------------------

TEST(KneserNey, AbracadabraByHand) {
  // a=0 b=1 r=2 c=3 d=4; e=5 never occurs. V = 6.
  const Tokens t = {0, 1, 2, 0, 3, 0, 4, 0, 1, 2, 0};  // a b r a c a d a b r a
  const double V = 6;
  KneserNeyModel kn(t, 6, 3);
  // Raw unigrams a:5 b:2 r:2 c:1 d:1 (total 11, 5 types): n1 = 2, n2 = 2 -> D = 2/6.
  // Raw bigrams ab:2 br:2 ra:2 ac:1 ca:1 ad:1 da:1: n1 = 4, n2 = 3 -> D = 4/10.
  // Raw trigrams abr:2 bra:2 rac:1 aca:1 cad:1 ada:1 dab:1: n1 = 5, n2 = 2 -> D = 5/9.
  // Continuation unigrams N1+(. w): a:3 (r a, c a, d a) b:1 r:1 c:1 d:1 (total 7): D = 4/4.
  // Continuation bigrams N1+(. h w) from the 7 distinct trigrams: br ra ac ca ad da ab,
  // each 1: D = 7/7.
  EXPECT_NEAR(kn.raw_discount(1), 1.0 / 3, 1e-15);
  EXPECT_NEAR(kn.raw_discount(2), 0.4, 1e-15);
  EXPECT_NEAR(kn.raw_discount(3), 5.0 / 9, 1e-15);
  EXPECT_NEAR(kn.continuation_discount(1), 1.0, 1e-15);
  EXPECT_NEAR(kn.continuation_discount(2), 1.0, 1e-15);
  EXPECT_EQ(kn.distinct_ngrams(1), 5);
  EXPECT_EQ(kn.distinct_ngrams(2), 7);
  EXPECT_EQ(kn.distinct_ngrams(3), 7);

  // Order 1: (c(w) - D)/11 + D * 5/11 * 1/V.
  const double g1 = (1.0 / 3) * 5 / 11;
  EXPECT_NEAR(kn.probability(1, {}, 0), (5 - 1.0 / 3) / 11 + g1 / V, 1e-12);
  EXPECT_NEAR(kn.probability(1, Tokens{3, 4}, 3), (1 - 1.0 / 3) / 11 + g1 / V, 1e-12);
  EXPECT_NEAR(kn.probability(1, {}, 5), g1 / V, 1e-12);

  // Continuation unigram Pc(w) = max(N1+(. w) - 1, 0)/7 + 1 * 5/7 * 1/V.
  const double pc_a = 2.0 / 7 + 5.0 / 7 / V, pc_other = 5.0 / 7 / V;  // b, r, c, d and e alike
  // Order 2, context a: ab:2 ac:1 ad:1 (A = 4, T = 3), gamma = 0.4 * 3/4 = 0.3.
  EXPECT_NEAR(kn.probability(2, Tokens{0}, 1), (2 - 0.4) / 4 + 0.3 * pc_other, 1e-12);
  EXPECT_NEAR(kn.probability(2, Tokens{0}, 3), (1 - 0.4) / 4 + 0.3 * pc_other, 1e-12);
  EXPECT_NEAR(kn.probability(2, Tokens{0}, 0), 0.3 * pc_a, 1e-12);
  EXPECT_NEAR(kn.probability(2, Tokens{0}, 5), 0.3 * pc_other, 1e-12);
  // Context r: ra:2 (A = 2, T = 1), gamma = 0.4 * 1/2.
  EXPECT_NEAR(kn.probability(2, Tokens{1, 2}, 0), (2 - 0.4) / 2 + 0.2 * pc_a, 1e-12);
  // Context e never seen: all mass to the continuation unigram.
  EXPECT_NEAR(kn.probability(2, Tokens{5}, 0), pc_a, 1e-12);
  // Empty history: the order-2 model predicts with the order-1 model.
  EXPECT_NEAR(kn.probability(2, {}, 0), (5 - 1.0 / 3) / 11 + g1 / V, 1e-12);

  // Order 3, context "a b": abr:2 (A = 2, T = 1), gamma = 5/9 * 1/2. The lower level is
  // the continuation bigram with context b: br:1 (A = 1, T = 1, D = 1), which passes
  // everything down: P2c(w | b) = Pc(w).
  EXPECT_NEAR(kn.probability(3, Tokens{0, 1}, 2), (2 - 5.0 / 9) / 2 + 5.0 / 18 * pc_other, 1e-12);
  EXPECT_NEAR(kn.probability(3, Tokens{0, 1}, 0), 5.0 / 18 * pc_a, 1e-12);
  // Context "r a": rac:1 only (the second "ra" ends the text): A = 1, T = 1; lower
  // level: continuation context a: ab ac ad, 1 each (D = 1) -> P2c(w | a) = Pc(w).
  EXPECT_NEAR(kn.probability(3, Tokens{2, 0}, 3), (1 - 5.0 / 9) + 5.0 / 9 * pc_other, 1e-12);
  EXPECT_NEAR(kn.probability(3, Tokens{2, 0}, 1), 5.0 / 9 * pc_other, 1e-12);
  // Context "e b" never seen at the top: the continuation bigram of b takes over.
  EXPECT_NEAR(kn.probability(3, Tokens{5, 1}, 2), pc_other, 1e-12);
  // One token of history: the order-2 model, context b: br:2, gamma = 0.4 * 1/2.
  EXPECT_NEAR(kn.probability(3, Tokens{1}, 2), (2 - 0.4) / 2 + 0.2 * pc_other, 1e-12);
  // Only the last n-1 tokens count.
  EXPECT_DOUBLE_EQ(kn.probability(3, Tokens{4, 4, 4, 0, 1}, 2), kn.probability(3, Tokens{0, 1}, 2));

  // The distribution agrees with probability() entry by entry.
  std::vector<double> p(6);
  kn.distribution(3, Tokens{2, 0}, p);
  for (uint16_t w = 0; w < 6; ++w) EXPECT_NEAR(p[w], kn.probability(3, Tokens{2, 0}, w), 1e-15);
}

TEST(KneserNey, MatchesReferenceOnRandomCorpora) {
  Rng rng(11);
  struct Case { int vocab, order; size_t length; };
  const std::vector<Case> cases = {{2, 3, 40}, {3, 6, 200}, {5, 4, 120}, {8, 5, 300}, {4, 1, 30}, {6, 2, 60}};
  for (const Case& c : cases) {
    // A sticky random walk over the vocabulary so that counts repeat (n2 > 0) and some
    // contexts have many followers.
    Tokens t;
    uint16_t cur = 0;
    for (size_t i = 0; i < c.length; ++i) {
      if (rng.uniform() < 0.6) cur = static_cast<uint16_t>(rng.below(c.vocab));
      t.push_back(cur);
    }
    KneserNeyModel kn(t, c.vocab, c.order);
    ReferenceKN ref(t, c.vocab, c.order);
    for (int k = 1; k <= c.order; ++k) {
      EXPECT_NEAR(kn.raw_discount(k), ref.raw_discount(k), 1e-15) << "V=" << c.vocab << " k=" << k;
      if (k < c.order) {
        EXPECT_NEAR(kn.continuation_discount(k), ref.cont_discount(k), 1e-15);
      }
    }
    std::vector<Tokens> histories;
    for (size_t i = 0; i <= t.size(); i += 3) histories.emplace_back(t.begin(), t.begin() + i);  // seen
    for (int len = 0; len <= c.order + 1; ++len) {  // mostly unseen
      Tokens h;
      for (int j = 0; j < len; ++j) h.push_back(static_cast<uint16_t>(rng.below(c.vocab)));
      histories.push_back(h);
    }
    std::vector<double> p(c.vocab);
    for (const Tokens& h : histories)
      for (int n = 1; n <= c.order; ++n) {
        kn.distribution(n, h, p);
        for (uint16_t w = 0; w < c.vocab; ++w)
          ASSERT_NEAR(p[w], ref.prob(n, h, w), 1e-12) << "V=" << c.vocab << " n=" << n << " |h|=" << h.size();
      }
  }
}

TEST(KneserNey, LargeTokenIdsMatchReference) {
  // 16-bit ids near the top of the range, order 6: contexts of 5 tokens x 16 bits.
  const Tokens alphabet = {0, 1, 40000, 65534, 65535};
  Rng rng(5);
  Tokens t;
  for (int i = 0; i < 400; ++i) t.push_back(alphabet[rng.below(i % 7 == 0 ? 5 : 3)]);
  KneserNeyModel kn(t, 65536, 6);
  ReferenceKN ref(t, 65536, 6);
  const Tokens probes = {0, 1, 2, 40000, 65534, 65535, 30000};
  for (size_t i = 0; i < t.size(); i += 7) {
    Tokens h(t.begin(), t.begin() + i);
    for (int n = 1; n <= 6; ++n)
      for (uint16_t w : probes) ASSERT_NEAR(kn.probability(n, h, w), ref.prob(n, h, w), 1e-12);
  }
  std::vector<double> p(65536);
  kn.distribution(6, Tokens(t.begin(), t.begin() + 50), p);
  EXPECT_NEAR(exact_sum(p), 1.0, 1e-12);
}

void expect_normalised(const KneserNeyModel& kn, const Tokens& corpus, Rng& rng) {
  const int V = kn.vocab(), K = kn.max_order();
  std::vector<Tokens> histories = {{}};
  for (int i = 0; i < 40; ++i) {  // seen: prefixes ending inside the corpus, short and long
    const size_t end = 1 + rng.below(corpus.size() - 1);
    const size_t len = std::min<size_t>(end, i % 2 ? 1 + rng.below(K) : 20);
    histories.emplace_back(corpus.begin() + (end - len), corpus.begin() + end);
  }
  for (int i = 0; i < 20; ++i) {  // random, mostly unseen
    Tokens h(i % 8);
    for (auto& x : h) x = static_cast<uint16_t>(rng.below(V));
    histories.push_back(h);
  }
  std::vector<double> p(V), all(static_cast<size_t>(K) * V);
  for (const Tokens& h : histories) {
    kn.distributions(h, all);
    for (int n = 1; n <= K; ++n) {
      kn.distribution(n, h, p);
      const double sum = exact_sum(p);
      double lo = 1;
      for (int w = 0; w < V; ++w) {
        lo = std::min(lo, p[w]);
        ASSERT_EQ(p[w], all[(n - 1) * V + w]) << "distributions() row " << n << " token " << w;
      }
      EXPECT_NEAR(sum, 1.0, 1e-12) << "order " << n << " |h|=" << h.size();
      EXPECT_GT(lo, 0.0) << "order " << n << " |h|=" << h.size();
      const uint16_t w = static_cast<uint16_t>(rng.below(V));
      EXPECT_NEAR(kn.probability(n, h, w), p[w], 1e-15);
    }
  }
}

TEST(KneserNey, DistributionsSumToOneAndArePositive) {
  Rng rng(3);
  Tokens random(5000);
  for (auto& x : random) x = static_cast<uint16_t>(rng.below(50));
  expect_normalised(KneserNeyModel(random, 50, 5), random, rng);
  const Tokens text = sample_text();
  expect_normalised(KneserNeyModel(text, 256, 6), text, rng);
  const Tokens tiny = {1, 0, 1};  // the smallest corpus for order 2
  expect_normalised(KneserNeyModel(tiny, 2, 2), tiny, rng);
}

TEST(KneserNey, CrossEntropyFallsWithOrderOnText) {
  const Tokens text = sample_text();
  ASSERT_GT(text.size(), 100000u);
  const size_t cut = text.size() * 8 / 10;
  const Tokens train(text.begin(), text.begin() + cut), test(text.begin() + cut, text.end());
  KneserNeyModel kn(train, 256, 5);
  const std::vector<double> ce = cross_entropies(kn, test);
  ASSERT_EQ(ce.size(), 5u);
  for (int n = 1; n <= 5; ++n) {
    EXPECT_DOUBLE_EQ(ce[n - 1], kn.cross_entropy(n, test)) << n;
    if (n > 1) {
      EXPECT_LT(ce[n - 1], ce[n - 2]) << "order " << n;
    }
  }
  // Byte unigram entropy of English is about 4.1-4.4 bits (2.8-3.1 nats); a uniform
  // guess would be ln 256 = 5.55 nats.
  EXPECT_GT(ce[0], 2.5);
  EXPECT_LT(ce[0], 3.3);
  // The mean of -ln p over positions, computed one probability at a time.
  double sum = 0;
  for (size_t i = 1; i < 2000; ++i)
    sum -= std::log(kn.probability(3, std::span<const uint16_t>(test).subspan(i < 2 ? 0 : i - 2, std::min<size_t>(i, 2)),
                                   test[i]));
  const Tokens head(test.begin(), test.begin() + 2000);
  EXPECT_NEAR(kn.cross_entropy(3, head), sum / 1999, 1e-12);
}

TEST(KneserNey, PeriodicSequenceIsLearnedExactly) {
  // Period 0 1 0 2: after 0 comes 1 or 2 (half each), after "1 0" comes 2, after "2 0"
  // comes 1. Unigram entropy: 1/2 ln 2 + 2 * 1/4 ln 4 = 1.0397 nats; the bigram is unsure
  // only after 0, half the positions: 1/2 ln 2 = 0.3466; from order 3 on it is
  // deterministic and the loss goes to 0 as counts grow (fallback D = 0.5, no singletons).
  Tokens t;
  for (int i = 0; i < 4000; ++i) t.push_back(std::array<uint16_t, 4>{0, 1, 0, 2}[i % 4]);
  KneserNeyModel kn(t, 256, 5);
  EXPECT_EQ(kn.raw_discount(3), 0.5);
  const std::vector<double> ce = cross_entropies(kn, Tokens(t.begin(), t.begin() + 2000));
  EXPECT_NEAR(ce[0], 0.5 * std::log(2.0) + 0.5 * std::log(4.0), 0.01);
  EXPECT_NEAR(ce[1], 0.5 * std::log(2.0), 0.01);
  for (int n = 3; n <= 5; ++n) EXPECT_LT(ce[n - 1], 0.005) << n;
}

TEST(KneserNey, BadInputNamesTheField) {
  const Tokens t = {0, 1, 2, 3, 1, 2};
  auto one_line_with = [](const std::string& msg, const std::string& part) {
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  };
  one_line_with(error_of([&] { (void)KneserNeyModel(Tokens{0, 1, 2}, 4, 3, "data.path"); }), "data.path");
  one_line_with(error_of([&] { (void)KneserNeyModel(Tokens{0, 1, 2}, 4, 3, "data.path"); }), "at least 4");
  one_line_with(error_of([&] { (void)KneserNeyModel(t, 4, 0, "probe.max_order"); }), "probe.max_order");
  one_line_with(error_of([&] { (void)KneserNeyModel(t, 4, 7, "probe.max_order"); }), "[1, 6]");
  one_line_with(error_of([&] { (void)KneserNeyModel(t, 1, 2, "data.vocab"); }), "data.vocab");
  one_line_with(error_of([&] { (void)KneserNeyModel(t, 65537, 2, "data.vocab"); }), "65536");
  one_line_with(error_of([&] { (void)KneserNeyModel(t, 3, 2, "data.path"); }), "token 3 at position 3");

  KneserNeyModel kn(t, 4, 3);
  std::vector<double> p(4), wrong(3);
  one_line_with(error_of([&] { kn.distribution(4, t, p); }), "order 4");
  one_line_with(error_of([&] { kn.distribution(0, t, p); }), "order 0");
  one_line_with(error_of([&] { kn.distribution(2, t, wrong); }), "3 entries");
  one_line_with(error_of([&] { kn.distribution(2, Tokens{0, 9}, p); }), "history token 9");
  one_line_with(error_of([&] { kn.probability(2, t, 4); }), "token 4");
  one_line_with(error_of([&] { kn.cross_entropy(1, Tokens{0}); }), "at least 2");
  one_line_with(error_of([&] { cross_entropies(kn, Tokens{0, 1, 5}); }), "token 5 at position 2");
}

}  // namespace
}  // namespace scalelab::probe
