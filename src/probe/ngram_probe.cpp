// The n-gram ("lazy learning") probe (probe_runner.h): Kneser-Ney baselines of orders
// 1..max_order from the training split (ngram.h), and along each run's training the
// divergence of the model's predictions from each baseline's.
//
// The divergence at a position is KL(q_n || p) = sum_v q_n(v) (ln q_n(v) - ln p(v)), the
// cross-entropy of the model p against the n-gram predictor q_n minus q_n's entropy: 0
// exactly when the model predicts what the n-gram predicts. A model "tracks" order n at
// a checkpoint when KL to q_n is the smallest of the orders; it has gone past the
// n-grams when its own loss is below the best n-gram's loss on the same positions.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/count_format.h"
#include "core/error.h"
#include "data/loader.h"
#include "probe/figures.h"
#include "probe/model_eval.h"
#include "probe/ngram.h"
#include "probe/probe_runner.h"
#include "probe/trend.h"
#include "train/snapshots.h"

namespace scalelab::probe {

namespace {

struct NgramRow {
  const ProbeRun* run = nullptr;
  int64_t step = 0, tokens = 0;
  bool final = false;
  double loss = 0;             // the model's loss on the scored positions
  std::vector<double> kl;      // KL(q_n || p), n = 1..max_order
  int closest = 0;             // argmin_n kl (1-based)
};

}  // namespace

Json run_ngram_probe(const ProbeContext& ctx) {
  const data::Corpus corpus = load_probe_corpus(ctx);
  const int orders = ctx.options.max_order;
  const KneserNeyModel kn(corpus.train, corpus.vocab_size, orders, "data.path");
  const std::vector<double> val_ce = cross_entropies(kn, corpus.val);
  if (ctx.log)
    for (int n = 1; n <= orders; ++n)
      ctx.log(fmt::format("ngram: order {}: validation {:.4f} nats/token, {:.4f} bits/byte", n, val_ce[n - 1],
                          corpus.bpb(val_ce[n - 1])));

  // The scored positions: every position of the evaluation windows. The n-gram sees the
  // same context the model sees (the window so far), so both predict from the same tokens.
  const int T = static_cast<int>(ctx.runs.front().config.model.seq_len);
  const data::ValidationSet val(corpus.val, T, ctx.options.eval_windows * T);
  const int V = static_cast<int>(ctx.runs.front().config.model.vocab);
  SL_REQUIRE(V == corpus.vocab_size || V >= corpus.vocab_size, "probe ngram: model vocab {} < corpus vocab {}", V,
             corpus.vocab_size);
  const int64_t W = val.num_windows();
  const size_t P = static_cast<size_t>(W) * T;
  const int KV = corpus.vocab_size;
  std::vector<float> q(P * orders * KV);   // q_n at each position
  std::vector<double> entropy(P * orders), ngram_loss(orders, 0.0);
  std::vector<int32_t> x(static_cast<size_t>(W) * T), y(x.size());
  for (int64_t w = 0; w < W; ++w) val.batch(w, 1, x.data() + w * T, y.data() + w * T);
  {
    std::vector<double> d(static_cast<size_t>(orders) * KV);
    std::vector<uint16_t> hist;
    for (size_t pos = 0; pos < P; ++pos) {
      const size_t w = pos / T, t = pos % T;
      hist.assign(x.begin() + static_cast<long>(w * T), x.begin() + static_cast<long>(w * T + t + 1));
      kn.distributions(hist, d);
      for (int n = 0; n < orders; ++n) {
        double h = 0;
        for (int v = 0; v < KV; ++v) {
          const double p = d[static_cast<size_t>(n) * KV + v];
          q[(pos * orders + n) * KV + v] = static_cast<float>(p);
          h -= p * std::log(p);
        }
        entropy[pos * orders + n] = h;
        ngram_loss[n] -= std::log(d[static_cast<size_t>(n) * KV + y[pos]]) / static_cast<double>(P);
      }
    }
  }

  std::vector<NgramRow> out;
  const int B = 16;
  std::vector<float> lp;
  for (const ProbeRun& run : ctx.runs) {
    for (const Snapshot& snap : list_snapshots(run.dir)) {
      const LoadedModel m = load_model(snap.path);
      ModelScorer scorer(m, ctx.threads, B);
      NgramRow r;
      r.run = &run;
      r.step = m.step;
      r.tokens = m.tokens;
      r.final = snap.final;
      r.kl.assign(orders, 0.0);
      for (int64_t first = 0; first < W; first += B) {
        const int rows = static_cast<int>(std::min<int64_t>(B, W - first));
        scorer.log_probs(x.data() + first * T, rows, T, lp);
        for (size_t i = 0; i < static_cast<size_t>(rows) * T; ++i) {
          const size_t pos = static_cast<size_t>(first) * T + i;
          const float* lpi = lp.data() + i * V;
          r.loss -= lpi[y[pos]] / static_cast<double>(P);
          for (int n = 0; n < orders; ++n) {
            const float* qn = q.data() + (pos * orders + n) * KV;
            double ce = 0;
            for (int v = 0; v < KV; ++v) ce -= qn[v] * lpi[v];
            r.kl[n] += (ce - entropy[pos * orders + n]) / static_cast<double>(P);
          }
        }
      }
      r.closest = static_cast<int>(std::min_element(r.kl.begin(), r.kl.end()) - r.kl.begin()) + 1;
      if (ctx.log)
        ctx.log(fmt::format("ngram: {} step {}: loss {:.4f}, closest to order {} (KL {:.4f})", run.name, r.step, r.loss,
                            r.closest, r.kl[r.closest - 1]));
      out.push_back(std::move(r));
    }
  }

  const double best_ngram = *std::min_element(ngram_loss.begin(), ngram_loss.end());
  const int best_order = static_cast<int>(std::min_element(ngram_loss.begin(), ngram_loss.end()) - ngram_loss.begin()) + 1;
  // Per run: the first snapshot at which it is closest to each order, and past the n-grams.
  struct Milestones {
    std::vector<int64_t> first_closest;  // tokens; -1 = never
    int64_t past = -1;
  };
  std::vector<Milestones> ms(ctx.runs.size());
  for (size_t i = 0; i < ctx.runs.size(); ++i) {
    ms[i].first_closest.assign(orders, -1);
    for (const NgramRow& r : out)
      if (r.run == &ctx.runs[i]) {
        if (ms[i].first_closest[r.closest - 1] < 0) ms[i].first_closest[r.closest - 1] = r.tokens;
        if (ms[i].past < 0 && r.loss < best_ngram) ms[i].past = r.tokens;
      }
  }

  Json figures = Json::array();
  const ProbeRun& small = ctx.runs.front();
  const ProbeRun& large = *std::max_element(ctx.runs.begin(), ctx.runs.end(), [](auto& a, auto& b) { return a.N < b.N; });
  const size_t large_i = static_cast<size_t>(&large - ctx.runs.data());
  {
    Json f = figure_json("ngram-kl", "KL divergence from each n-gram model, along training",
                         {"training tokens D", true, true}, {"KL(n-gram || model), nats/token", true, false});
    for (const ProbeRun* run : {&large, &small}) {
      if (run == &small && &small == &large) break;
      for (int n = 0; n < orders; ++n) {
        std::vector<double> t, k;
        for (const NgramRow& r : out)
          if (r.run == run) t.push_back(static_cast<double>(r.tokens)), k.push_back(r.kl[n]);
        f["series"].push_back(series_json(run == &large ? fmt::format("order {}", n + 1) : "", t, k,
                                          {.color = category_color(n), .marker = run == &large ? "circle" : "open",
                                           .dash = run == &large ? "solid" : "dashed"}));
      }
    }
    std::string path;
    for (int n = 0; n < orders; ++n)
      if (ms[large_i].first_closest[n] >= 0)
        path += fmt::format("{}order {} from {} tokens", path.empty() ? "" : ", then ", n + 1,
                            short_count(static_cast<double>(ms[large_i].first_closest[n])));
    f["sentence"] = fmt::format(
        "Solid: the largest model (N = {}); dashed: the smallest (N = {}). Along training the largest model's "
        "predictions are closest to {}. {}",
        short_count(large.N), short_count(small.N), path.empty() ? "no n-gram" : path,
        ms[large_i].past >= 0 ? fmt::format("Its loss falls below the best n-gram's ({}-gram, {:.3f} nats/token) after "
                                            "{} tokens.", best_order, best_ngram,
                                            short_count(static_cast<double>(ms[large_i].past)))
                              : fmt::format("Its loss stays above the best n-gram's ({}-gram, {:.3f} nats/token).",
                                            best_order, best_ngram));
    figures.push_back(f);
  }
  {
    Json f = figure_json("ngram-loss", "Model loss along training against the n-gram baselines",
                         {"training tokens D", true, true}, {"loss on the scored positions (nats/token)", false, false});
    for (const ProbeRun& run : ctx.runs) {
      std::vector<double> t, l;
      for (const NgramRow& r : out)
        if (r.run == &run) t.push_back(static_cast<double>(r.tokens)), l.push_back(r.loss);
      f["series"].push_back(series_json("N = " + short_count(run.N), t, l, {.color_value = run.N, .marker = "circle"}));
    }
    for (int n = 0; n < orders; ++n) f["hlines"].push_back(hline_json(ngram_loss[n], fmt::format("{}-gram", n + 1)));
    f["colorbar"] = "N (params)";
    std::string s;
    int passed = 0;
    for (size_t i = 0; i < ctx.runs.size(); ++i) {
      if (ms[i].past >= 0) ++passed;
      int highest = 0;  // the highest order the run's final loss beats
      for (const NgramRow& r : out)
        if (r.run == &ctx.runs[i] && r.final)
          for (int n = 0; n < orders; ++n)
            if (r.loss < ngram_loss[n]) highest = std::max(highest, n + 1);
      s += fmt::format("{}N = {} ends below {}", s.empty() ? "" : "; ", short_count(ctx.runs[i].N),
                       highest == 0 ? std::string("no n-gram") : fmt::format("the {}-gram", highest));
    }
    f["sentence"] = fmt::format("{} of {} sizes go below every n-gram baseline within their training. At the end: {}.",
                                passed, ctx.runs.size(), s);
    figures.push_back(f);
  }
  {
    Json f = figure_json("ngram-closest", "Which n-gram the model is closest to, along training",
                         {"training tokens D", true, true}, {"closest n-gram order", false, false, 0.5, orders + 0.5});
    for (const ProbeRun& run : ctx.runs) {
      std::vector<double> t, c;
      for (const NgramRow& r : out)
        if (r.run == &run) t.push_back(static_cast<double>(r.tokens)), c.push_back(r.closest);
      f["series"].push_back(series_json("N = " + short_count(run.N), t, c, {.color_value = run.N, .marker = "circle"}));
    }
    f["colorbar"] = "N (params)";
    // Measured, not assumed: along training, the rank correlation of the closest order with
    // tokens seen, per run; across sizes, that of the final closest order with N.
    std::vector<double> final_N, final_order;
    int rising = 0, scored = 0;
    for (const ProbeRun& run : ctx.runs) {
      std::vector<double> t, c;
      for (const NgramRow& r : out)
        if (r.run == &run) {
          t.push_back(static_cast<double>(r.tokens)), c.push_back(r.closest);
          if (r.final) final_N.push_back(run.N), final_order.push_back(r.closest);
        }
      const double rho = spearman(t, c);
      if (std::isfinite(rho)) ++scored, rising += rho >= 0.6;
    }
    std::string orders_at_end;
    for (size_t i = 0; i < final_N.size(); ++i)
      orders_at_end += fmt::format("{}{}", i ? ", " : "", static_cast<int>(final_order[i]));
    f["sentence"] = fmt::format(
        "Along training the closest order climbs (rank correlation with tokens >= 0.6) in {} of {} runs. At the end of "
        "training, from the smallest to the largest model, the closest orders are {}: across sizes it {}.",
        rising, scored, orders_at_end,
        trend_word(spearman(final_N, final_order), "rises with N", "falls with N"));
    figures.push_back(f);
  }

  std::vector<std::vector<std::string>> t1, t2;
  Json baselines = Json::array();
  for (int n = 1; n <= orders; ++n) {
    t1.push_back({std::to_string(n), fmt::format("{:.4f}", val_ce[n - 1]), fmt::format("{:.4f}", corpus.bpb(val_ce[n - 1])),
                  fmt::format("{:.4f}", ngram_loss[n - 1]), short_count(static_cast<double>(kn.distinct_ngrams(n)))});
    baselines.push_back({{"order", n}, {"val_nats", val_ce[n - 1]}, {"val_bpb", corpus.bpb(val_ce[n - 1])},
                         {"scored_nats", ngram_loss[n - 1]}, {"distinct", kn.distinct_ngrams(n)},
                         {"raw_discount", kn.raw_discount(n)}});
  }
  for (size_t i = 0; i < ctx.runs.size(); ++i) {
    std::vector<std::string> row = {ctx.runs[i].name, short_count(ctx.runs[i].N)};
    for (int n = 0; n < orders; ++n)
      row.push_back(ms[i].first_closest[n] >= 0 ? short_count(static_cast<double>(ms[i].first_closest[n])) : "-");
    row.push_back(ms[i].past >= 0 ? short_count(static_cast<double>(ms[i].past)) : "-");
    t2.push_back(row);
  }
  std::vector<std::string> cols2 = {"run", "N"};
  for (int n = 1; n <= orders; ++n) cols2.push_back(fmt::format("closest to {}-gram from", n));
  cols2.push_back("below every n-gram from");
  Json rows = Json::array();
  for (const NgramRow& r : out)
    rows.push_back({{"run", r.run->name}, {"N", r.run->N}, {"step", r.step}, {"tokens", r.tokens}, {"final", r.final},
                    {"loss", r.loss}, {"kl", r.kl}, {"closest", r.closest}});
  Json result;
  result["title"] = "Lazy learning: n-gram statistics first";
  result["figures"] = figures;
  result["tables"] = Json::array(
      {table_json("Interpolated Kneser-Ney baselines from the training split",
                  {"order", "validation nats/token", "bits/byte", "on the scored positions", "distinct n-grams"}, t1),
       table_json("Training tokens at which each run first tracks each n-gram, and passes them all", cols2, t2)});
  result["summary"] = {{"baselines", baselines}, {"scored_positions", P}, {"rows", rows}};
  std::vector<std::string> findings;
  for (const Json& f : figures) findings.push_back(f["sentence"]);
  result["findings"] = findings;
  return result;
}

}  // namespace scalelab::probe
