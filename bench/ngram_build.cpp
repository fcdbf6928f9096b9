// bench_ngram_build: builds the interpolated Kneser-Ney n-gram baselines of the lazy-
// learning probe (src/probe/ngram.h) on a text corpus with the byte tokenizer and the
// training runs' split (data::load_corpus, val_fraction 0.1), then prints greppable lines:
//   build: time_s=.. cpu_s=.. train_tokens=.. max_order=.. distinct_1=.. ... distinct_K=..
//   distribution: positions=.. orders=.. calls=.. time_s=.. per_s=..      (one order a call)
//   distributions: positions=.. time_s=.. per_s=..                       (all orders a call)
//   val: order=n nats=.. bpb=..                                          (one line per order)
// Usage: bench_ngram_build CORPUS [MAX_ORDER=5] [POSITIONS=65536]
// e.g. build/bench/bench_ngram_build ~/.cache/scalelab/brown.txt
#include "core/timer.h"
#include "data/corpus.h"
#include "data/tokenizer.h"
#include "probe/ngram.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

using namespace scalelab;

namespace {
double cpu_seconds_since(std::clock_t c0) { return static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: bench_ngram_build CORPUS [MAX_ORDER=5] [POSITIONS=65536]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int max_order = argc > 2 ? std::stoi(argv[2]) : 5;
  const size_t positions = argc > 3 ? std::stoul(argv[3]) : 65536;
  try {
    data::ByteTokenizer tok;
    const data::Corpus corpus = data::load_corpus(path, 0.1, tok);

    Timer t;
    std::clock_t c0 = std::clock();
    probe::KneserNeyModel kn(corpus.train, corpus.vocab_size, max_order, "corpus");
    const double build_s = t.seconds(), build_cpu = cpu_seconds_since(c0);
    std::string distinct;
    for (int k = 1; k <= max_order; ++k) distinct += fmt::format(" distinct_{}={}", k, kn.distinct_ngrams(k));
    fmt::print("build: time_s={:.3f} cpu_s={:.3f} train_tokens={} max_order={}{}\n", build_s, build_cpu,
               corpus.train.size(), max_order, distinct);

    // Positions spread over the validation split, each with the max_order-1 tokens before it.
    const std::span<const uint16_t> val(corpus.val);
    const size_t n = std::min(positions, val.size() - 1);
    const size_t V = static_cast<size_t>(kn.vocab());
    std::vector<double> p(V), all(V * max_order);
    double checksum = 0;
    t.reset();
    for (size_t j = 0; j < n; ++j) {
      const size_t i = 1 + j * (val.size() - 1) / n;
      const size_t h = std::min<size_t>(i, max_order - 1);
      for (int order = 1; order <= max_order; ++order) {
        kn.distribution(order, val.subspan(i - h, h), p);
        checksum += p[val[i]];
      }
    }
    const double dist_s = t.seconds();
    fmt::print("distribution: positions={} orders={} calls={} time_s={:.3f} per_s={:.0f} checksum={:.6f}\n", n,
               max_order, n * max_order, dist_s, n * max_order / dist_s, checksum);
    checksum = 0;
    t.reset();
    for (size_t j = 0; j < n; ++j) {
      const size_t i = 1 + j * (val.size() - 1) / n;
      const size_t h = std::min<size_t>(i, max_order - 1);
      kn.distributions(val.subspan(i - h, h), all);
      for (int order = 1; order <= max_order; ++order) checksum += all[(order - 1) * V + val[i]];
    }
    const double all_s = t.seconds();
    fmt::print("distributions: positions={} time_s={:.3f} per_s={:.0f} checksum={:.6f}\n", n, all_s, n / all_s,
               checksum);

    t.reset();
    const std::vector<double> ce = probe::cross_entropies(kn, corpus.val);
    const double ce_s = t.seconds();
    for (int order = 1; order <= max_order; ++order)
      fmt::print("val: order={} nats={:.4f} bpb={:.4f}\n", order, ce[order - 1],
                 corpus.bpb(ce[order - 1]));
    fmt::print("val: tokens={} time_s={:.3f}\n", corpus.val.size(), ce_s);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  return 0;
}
