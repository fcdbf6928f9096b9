// The in-context-learning probe (probe_runner.h, icl_metrics.h): per-position loss with
// its fitted L(t), the ICL score and the induction probe, for every run and snapshot.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/count_format.h"
#include "core/error.h"
#include "data/loader.h"
#include "probe/figures.h"
#include "probe/icl_metrics.h"
#include "probe/model_eval.h"
#include "probe/probe_runner.h"
#include "probe/trend.h"
#include "train/snapshots.h"

namespace scalelab::probe {

namespace {

struct IclRow {
  const ProbeRun* run = nullptr;
  int64_t step = 0, tokens = 0;
  bool final = false;
  std::vector<double> per_position;
  ContextCurve curve;
  double score = 0;
  InductionScore induction;
};

// Byte values that occur in the training split often enough to be ordinary tokens; the
// induction sequences draw from them so that they are random but not alien.
std::vector<uint16_t> common_tokens(const std::vector<uint16_t>& train, int vocab) {
  std::vector<int64_t> count(vocab, 0);
  for (uint16_t t : train) ++count[t];
  std::vector<uint16_t> out;
  for (int v = 0; v < vocab; ++v)
    if (count[v] >= 100) out.push_back(static_cast<uint16_t>(v));
  return out;
}

}  // namespace

Json run_icl_probe(const ProbeContext& ctx) {
  const data::Corpus corpus = load_probe_corpus(ctx);
  const int T = static_cast<int>(ctx.runs.front().config.model.seq_len);
  const data::ValidationSet val(corpus.val, T, ctx.options.eval_windows * T);
  const int L = (T + 1) / 2;  // 2L - 1 <= T positions
  const std::vector<uint16_t> alphabet = common_tokens(corpus.train, corpus.vocab_size);
  SL_REQUIRE(alphabet.size() >= 2, "probe icl: the training split has fewer than 2 common tokens");
  const int rows = static_cast<int>(ctx.options.induction_sequences);
  const std::vector<int32_t> seqs = induction_tokens(rows, L, alphabet, static_cast<uint64_t>(ctx.options.seed));
  const IclPositions pos = icl_positions(T);

  std::vector<IclRow> out;
  for (const ProbeRun& run : ctx.runs) {
    for (const Snapshot& snap : list_snapshots(run.dir)) {
      const LoadedModel m = load_model(snap.path);
      ModelScorer scorer(m, ctx.threads, 16);
      IclRow r;
      r.run = &run;
      r.step = m.step;
      r.tokens = m.tokens;
      r.final = snap.final;
      r.per_position = scorer.position_losses(val);
      r.curve = fit_context_curve(r.per_position);
      r.score = icl_score(r.per_position);
      // Induction rows in batches: inputs tokens 0..2L-2, targets 1..2L-1.
      std::vector<float> all, part;
      const int W = 2 * L - 1;
      for (int first = 0; first < rows; first += 16) {
        const int B = std::min(16, rows - first);
        std::vector<int32_t> x(static_cast<size_t>(B) * W), y(x.size());
        for (int b = 0; b < B; ++b)
          for (int t = 0; t < W; ++t) {
            x[static_cast<size_t>(b) * W + t] = seqs[static_cast<size_t>(first + b) * 2 * L + t];
            y[static_cast<size_t>(b) * W + t] = seqs[static_cast<size_t>(first + b) * 2 * L + t + 1];
          }
        scorer.losses(x.data(), y.data(), B, W, part);
        all.insert(all.end(), part.begin(), part.end());
      }
      r.induction = induction_score(all, rows, L);
      if (ctx.log)
        ctx.log(fmt::format("icl: {} step {}: ICL score {:.3f}, induction drop {:.3f} nats", run.name, r.step, r.score,
                            r.induction.drop));
      out.push_back(std::move(r));
    }
  }

  // ---- numbers --------------------------------------------------------------------
  Json rows_json = Json::array();
  for (const IclRow& r : out)
    rows_json.push_back({{"run", r.run->name}, {"N", r.run->N}, {"step", r.step}, {"tokens", r.tokens},
                         {"final", r.final}, {"icl_score", r.score}, {"loss_early", band_mean(r.per_position, pos.early)},
                         {"loss_late", band_mean(r.per_position, pos.late)}, {"fit_a", r.curve.a}, {"fit_b", r.curve.b},
                         {"fit_c", r.curve.c}, {"fit_rms", r.curve.rms}, {"induction_first", r.induction.first},
                         {"induction_repeat", r.induction.repeat}, {"induction_drop", r.induction.drop}});
  std::vector<const IclRow*> finals;
  for (const IclRow& r : out)
    if (r.final) finals.push_back(&r);
  std::vector<double> fN, fgain, fdrop;
  for (const IclRow* r : finals) {
    fN.push_back(r->run->N);
    fgain.push_back(-r->score);
    fdrop.push_back(r->induction.drop);
  }
  const double lo_N = *std::min_element(fN.begin(), fN.end()), hi_N = *std::max_element(fN.begin(), fN.end());
  const IclRow& small = **std::min_element(finals.begin(), finals.end(), [](auto a, auto b) { return a->run->N < b->run->N; });
  const IclRow& large = **std::max_element(finals.begin(), finals.end(), [](auto a, auto b) { return a->run->N < b->run->N; });

  Json figures = Json::array();
  // 1. Loss against position, final models, with the fitted curves.
  {
    Json f = figure_json("icl-position", "Loss against context position (final checkpoints)",
                         {"tokens of context t", true, false}, {"loss (nats/token)", false, false});
    for (const IclRow* r : finals) {
      std::vector<double> t(T), fit(T);
      for (int i = 0; i < T; ++i) t[i] = i + 1, fit[i] = r->curve.at(i + 1);
      f["series"].push_back(series_json("N = " + short_count(r->run->N), t, r->per_position,
                                        {.color_value = r->run->N, .line = true}));
      if (r->curve.ok)
        f["series"].push_back(series_json("", t, fit, {.color_value = r->run->N, .line = true, .dash = "dashed"}));
    }
    f["colorbar"] = "N (params)";
    // score = late - early: negative when the later token is predicted better.
    auto change = [](double score) {
      return fmt::format("{} by {:.3f}", score <= 0 ? "falls" : "rises", std::abs(score));
    };
    f["sentence"] = fmt::format(
        "From token {} to token {} of the context, the loss {} nats/token for N = {} and {} for N = {}; the fitted "
        "L(t) = a + b t^-c (dashed) has exponent c = {:.2f} and {:.2f} and reaches {:.3f} and {:.3f} at "
        "t = {}.",
        pos.early + 1, pos.late + 1, change(small.score), short_count(small.run->N), change(large.score),
        short_count(large.run->N), small.curve.c, large.curve.c, small.curve.at(T), large.curve.at(T), T);
    figures.push_back(f);
  }
  // 2. Both scores against N.
  {
    Json f = figure_json("icl-vs-n", "In-context learning against model size (final checkpoints)",
                         {"N (non-embedding params)", true, true}, {"nats/token", false, false});
    f["series"].push_back(series_json(fmt::format("ICL gain: loss(t={}) - loss(t={})", pos.early + 1, pos.late + 1),
                                      fN, fgain, {.color = category_color(0), .marker = "circle"}));
    f["series"].push_back(series_json("induction: loss drop on the repeat", fN, fdrop,
                                      {.color = category_color(1), .marker = "diamond"}));
    const double rg = spearman(fN, fgain), rd = spearman(fN, fdrop);
    f["sentence"] = fmt::format(
        "Across {} sizes ({} to {} parameters) the ICL gain {} with N (Spearman {:.2f}; {:.3f} to {:.3f} nats) and "
        "the induction drop {} with N (Spearman {:.2f}; {:.3f} to {:.3f} nats, where {:.2f} nats would be perfect "
        "copying of the random tokens).",
        finals.size(), short_count(lo_N), short_count(hi_N), trend_word(rg, "rises", "falls"), std::isnan(rg) ? 0.0 : rg,
        -small.score, -large.score, trend_word(rd, "rises", "falls"), std::isnan(rd) ? 0.0 : rd, small.induction.drop,
        large.induction.drop, large.induction.first);
    figures.push_back(f);
  }
  // 3, 4. Against training tokens, one line per run.
  auto along_training = [&](const std::string& id, const std::string& title, const std::string& ylabel,
                            auto value) {
    Json f = figure_json(id, title, {"training tokens D", true, true}, {ylabel, false, false});
    double best_jump = -1, jump_from = 0, jump_to = 0;
    std::string jump_run;
    for (const ProbeRun& run : ctx.runs) {
      std::vector<double> x, y;
      for (const IclRow& r : out)
        if (r.run == &run) x.push_back(static_cast<double>(r.tokens)), y.push_back(value(r));
      for (size_t i = 1; i < y.size(); ++i)
        if (y[i] - y[i - 1] > best_jump) best_jump = y[i] - y[i - 1], jump_from = x[i - 1], jump_to = x[i], jump_run = run.name;
      f["series"].push_back(series_json("N = " + short_count(run.N), x, y, {.color_value = run.N, .marker = "circle"}));
    }
    f["colorbar"] = "N (params)";
    return std::make_tuple(f, best_jump, jump_from, jump_to, jump_run);
  };
  {
    auto [f, jump, from, to, run] = along_training("icl-gain-tokens", "ICL gain along training",
                                                   "ICL gain (nats/token)", [](const IclRow& r) { return -r.score; });
    f["sentence"] = fmt::format("The largest rise of the ICL gain between two snapshots is {:.3f} nats, for {} between "
                                "{} and {} tokens.", jump, run, short_count(from), short_count(to));
    figures.push_back(f);
  }
  {
    auto [f, jump, from, to, run] = along_training("icl-induction-tokens", "Induction (copying) along training",
                                                   "loss drop on the repeat (nats/token)",
                                                   [](const IclRow& r) { return r.induction.drop; });
    f["sentence"] = fmt::format("The largest rise of the induction drop between two snapshots is {:.3f} nats, for {} "
                                "between {} and {} tokens; at the end the largest model's drop is {:.0f}% of perfect "
                                "copying ({:.3f} of {:.3f} nats).",
                                jump, run, short_count(from), short_count(to),
                                100 * large.induction.drop / large.induction.first, large.induction.drop,
                                large.induction.first);
    figures.push_back(f);
  }

  std::vector<std::vector<std::string>> table;
  for (const IclRow* r : finals)
    table.push_back({r->run->name, short_count(r->run->N), short_count(static_cast<double>(r->tokens)),
                     fmt::format("{:.3f}", r->score), fmt::format("{:.3f}", r->curve.a),
                     fmt::format("{:.3f}", r->curve.b), fmt::format("{:.3f}", r->curve.c),
                     fmt::format("{:.3f}", r->induction.first), fmt::format("{:.3f}", r->induction.repeat),
                     fmt::format("{:.3f}", r->induction.drop)});
  Json result;
  result["title"] = "In-context learning";
  result["figures"] = figures;
  result["tables"] = Json::array({table_json(
      "Final checkpoints", {"run", "N", "D", "ICL score", "a", "b", "c", "induction: first", "repeat", "drop"}, table)});
  result["summary"] = {{"seq_len", T},
                       {"early_position", pos.early + 1},
                       {"late_position", pos.late + 1},
                       {"induction_length", L},
                       {"induction_sequences", rows},
                       {"rows", rows_json}};
  std::vector<std::string> findings;
  for (const Json& f : figures) findings.push_back(f["sentence"]);
  result["findings"] = findings;
  return result;
}

}  // namespace scalelab::probe
