// defines: scalelab::probe::KneserNeyModel, cross_entropies
//
// n-gram baselines for the "lazy learning" probe: interpolated Kneser-Ney models of
// orders 1..max_order built from a token stream, used to ask whether a small network's
// predictions track the unigram, then the bigram, ... before moving past them.
//
//   probe::KneserNeyModel kn(corpus.train, corpus.vocab_size, 5, "data.path");
//   std::vector<double> p(kn.vocab());
//   kn.distribution(3, history, p);                          // order-3 P(. | last 2 tokens)
//   std::vector<double> ce = probe::cross_entropies(kn, corpus.val);  // ce[n-1], nats/token
//   double bpb3 = data::bits_per_byte(ce[2], corpus.bytes_per_token);
//
// The maths: interpolated Kneser-Ney (Kneser and Ney 1995; Chen and Goodman 1998, sec.
// 2.7 and the interpolated form of sec. 3). The order-n model is a standalone predictor whose
// levels k = n, n-1, ..., 1 are interpolated top-down; with a context h of k-1 tokens,
//
//   P_k(w | h) = max(a_k(h w) - D_k, 0) / A_k(h) + D_k T_k(h) / A_k(h) * P_{k-1}(w | h')
//   P_0(w)     = 1 / V
//
// where h' drops the oldest token of h, A_k(h) = sum_w a_k(h w) and T_k(h) = |{w : a_k(h w)
// > 0}|. At the top level (k = n) a_k is the raw count c(h w); at lower levels it is the
// continuation count N1+(. h w), the number of distinct tokens seen to the left of h w
// (Kneser and Ney's marginal constraint). When A_k(h) = 0 (context never seen at that
// level) the level passes its whole mass down: P_k(w | h) = P_{k-1}(w | h').
//
// Discounts: one absolute discount per level and kind (raw, continuation), D = n1 / (n1 +
// 2 n2) from that table's count-of-counts (Ney, Essen and Kneser 1994, the leave-one-out
// bound; plain, not modified, KN). D lies in (0, 1] whenever n1 > 0, which keeps every probability > 0 and
// each distribution summing to 1. A table without singletons (n1 = 0, e.g. a periodic
// sequence) has no leave-one-out estimate; it falls back to D = 0.5, the value KenLM's
// --discount_fallback uses for D1.
//
// Short histories. Only the last n-1 tokens of a history are used. A history of m < n-1
// tokens (the first positions of a stream) is predicted by the order-(m+1) model, i.e.
// level m+1 uses raw counts: the context is truncated, not backed off from, so the raw
// statistics of what follows those m tokens are the right estimate.
//
// Storage: a trie over reversed contexts (root = empty context; a child of node h adds
// the token one step further back), built with one LSD radix sort of positions by their
// preceding max_order-1 tokens. Each node keeps its raw and continuation follower lists
// sorted by token. A query walks at most n-1 steps from the root, so contexts of any
// length and any vocabulary up to 65536 work (5 tokens of 16 bits do not pack into one
// uint64, which rules out packed keys for max_order 6). Building is O(size * max_order);
// the model is immutable afterwards and its const methods are safe to call from many
// threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::probe {

class KneserNeyModel {
 public:
  // Counts every n-gram of orders 1..max_order in `tokens` (ids in [0, vocab)). InputError
  // naming `what` when tokens has fewer than max_order + 1 tokens (or more than 2^32 - 2),
  // max_order is not in [1, 6], vocab is not in [2, 65536] or a token is >= vocab.
  KneserNeyModel(std::span<const uint16_t> tokens, int vocab, int max_order = 5,
                 std::string_view what = "tokens");

  int max_order() const { return max_order_; }
  int vocab() const { return vocab_; }

  // Predictive distribution of the order-n model (1 <= n <= max_order) for the token after
  // `history` (most recent last). `out` has vocab() entries; they sum to 1 (to ~1e-15) and
  // are all > 0. InputError for a bad order, a wrong out size or a history token >= vocab.
  void distribution(int order, std::span<const uint16_t> history, std::span<double> out) const;
  // All orders at once, sharing the lower levels: out has max_order() * vocab() entries,
  // row n-1 (entries [(n-1) V, n V)) is distribution(n, history).
  void distributions(std::span<const uint16_t> history, std::span<double> out) const;
  // One entry of distribution(order, history); O(order log V), no vocabulary-sized work.
  double probability(int order, std::span<const uint16_t> history, uint16_t token) const;
  // Mean -ln p(tokens[i] | tokens[max(0, i-n+1) .. i-1]) over i = 1 .. size-1, in nats per
  // token. InputError (naming "tokens") if tokens has fewer than 2 entries or one >= vocab.
  double cross_entropy(int order, std::span<const uint16_t> tokens) const;

  // The discount of level k (1 <= k <= max_order) with raw counts, and with continuation
  // counts (k < max_order); exposed for tests and reports.
  double raw_discount(int level) const;
  double continuation_discount(int level) const;
  // Number of distinct k-grams in the training stream (1 <= k <= max_order).
  int64_t distinct_ngrams(int k) const;

 private:
  // Follower lists of all nodes of one depth, in CSR form: node i owns entries
  // [begin[i], begin[i+1]) of word/count, sorted by word; total[i] = sum of its counts.
  struct Table {
    std::vector<uint32_t> begin;
    std::vector<uint16_t> word;
    std::vector<uint32_t> count;
    std::vector<uint32_t> total;
    double discount = 0.5;
  };
  // Nodes at depth m are the distinct contexts of m tokens, in reversed-lexicographic
  // order. token[i] is the context's oldest token (m steps back; unused at depth 0);
  // children of node i are nodes [child_begin[i], child_begin[i+1]) of depth m+1.
  struct Depth {
    std::vector<uint16_t> token;
    std::vector<uint32_t> child_begin;
    Table raw;   // a_{m+1} = c(h w): used when level m+1 is the top level
    Table cont;  // a_{m+1} = N1+(. h w): lower levels; empty at depth max_order-1
  };

  // Walks the trie along the history backwards; returns the number of depths reached
  // (node[d] for d < reached are valid) given the model order's max depth.
  int walk(std::span<const uint16_t> history, int max_depth, uint32_t* node) const;
  // p[w] <- D T/A p[w] + max(a(h w) - D, 0)/A for every w, or unchanged when A = 0.
  void apply_level(const Table& t, uint32_t node, std::span<double> p) const;
  // The same for one token.
  static double level_probability(const Table& t, uint32_t node, uint16_t w, double lower);
  void check_order(int order, const char* method) const;
  void check_history(std::span<const uint16_t> history, const char* method) const;

  int vocab_ = 0;
  int max_order_ = 0;
  std::vector<Depth> depth_;  // depth_[m], m = 0 .. max_order-1
  std::vector<int64_t> distinct_;
  friend std::vector<double> cross_entropies(const KneserNeyModel&, std::span<const uint16_t>);
};

// cross_entropy for every order in one pass over `tokens`: result[n-1] = cross_entropy(n).
std::vector<double> cross_entropies(const KneserNeyModel& model, std::span<const uint16_t> tokens);

}  // namespace scalelab::probe
