// The ensemble probe (probe_runner.h): k models of N/k parameters against one model of
// N at the same training compute, and layer deletion.
//
// Why: if a deep network behaves like an ensemble of shallower paths (Veit et al. 2016),
// deleting one block should cost little, and averaging the predictive distributions of
// smaller models (Lakshminarayanan et al. 2017) is the natural "ensemble" to compare a
// large model with at equal training compute (k x 6 (N/k) D = 6 N D).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/count_format.h"
#include "core/error.h"
#include "data/loader.h"
#include "probe/figures.h"
#include "probe/model_eval.h"
#include "probe/probe_runner.h"
#include "probe/trend.h"

namespace scalelab::probe {

namespace {

sweep::Shape shape_of(const ProbeRun& r) {
  return {r.config.model.n_layer, r.config.model.d_model, r.config.model.n_head};
}

struct EnsembleRow {
  EnsembleDesign design;
  double member_N = 0;
  double ensemble_loss = 0;     // -ln mean_k p_k(target)
  double member_loss = 0;       // mean of the members' own losses
  std::vector<std::string> members;
};

struct DeletionRow {
  const ProbeRun* run = nullptr;
  double base_loss = 0;
  std::vector<double> delta;    // loss with block l deleted minus base_loss
};

}  // namespace

Json run_ensemble_probe(const ProbeContext& ctx) {
  const data::Corpus corpus = load_probe_corpus(ctx);
  const int T = static_cast<int>(ctx.runs.front().config.model.seq_len);
  const data::ValidationSet val(corpus.val, T, ctx.options.eval_windows * T);
  const int B = 16;
  const std::vector<EnsembleDesign> design = ensemble_design(ctx.spec, ctx.options);

  auto find_run = [&](const sweep::Shape& s, int64_t seed) -> const ProbeRun* {
    for (const ProbeRun& r : ctx.runs)
      if (shape_of(r) == s && r.seed == seed) return &r;
    return nullptr;
  };

  std::vector<EnsembleRow> ens;
  std::vector<int32_t> x(static_cast<size_t>(B) * T), y(x.size());
  for (const EnsembleDesign& d : design) {
    std::vector<std::unique_ptr<ModelScorer>> members;
    EnsembleRow row;
    row.design = d;
    for (int64_t seed : d.seeds) {
      const ProbeRun* r = find_run(d.shape, seed);
      if (!r) break;
      row.members.push_back(r->name);
      row.member_N = r->N;
      members.push_back(std::make_unique<ModelScorer>(load_model(r->dir / "checkpoint.bin"), ctx.threads, B));
    }
    if (members.size() != d.seeds.size()) {
      if (ctx.log) ctx.log(fmt::format("ensemble: N = {} k = {}: a member did not finish; skipped", short_count(d.N), d.k));
      continue;
    }
    std::vector<std::vector<float>> lp(members.size());
    LossSum ens_sum;
    std::vector<LossSum> own(members.size());
    for (int64_t b = 0; b < val.num_batches(B); ++b) {
      const int rows = val.batch(b, B, x.data(), y.data());
      const std::span<const int32_t> targets(y.data(), static_cast<size_t>(rows) * T);
      for (size_t m = 0; m < members.size(); ++m) {
        members[m]->log_probs(x.data(), rows, T, lp[m]);
        const LossSum s = ensemble_loss(std::span<const std::vector<float>>(&lp[m], 1), targets, members[m]->vocab());
        own[m].sum += s.sum, own[m].count += s.count;
      }
      const LossSum s = ensemble_loss(lp, targets, members.front()->vocab());
      ens_sum.sum += s.sum, ens_sum.count += s.count;
    }
    row.ensemble_loss = ens_sum.sum / static_cast<double>(ens_sum.count);
    for (const LossSum& s : own) row.member_loss += s.sum / static_cast<double>(s.count) / static_cast<double>(own.size());
    if (ctx.log)
      ctx.log(fmt::format("ensemble: N = {} as {} x {}: ensemble loss {:.4f}, members' mean {:.4f}", short_count(d.N),
                          d.k, short_count(row.member_N), row.ensemble_loss, row.member_loss));
    ens.push_back(std::move(row));
  }
  SL_REQUIRE(!ens.empty(), "probe ensemble: no ensemble has all its members trained");

  // Layer deletion: one model per distinct shape (the first seed).
  std::vector<DeletionRow> del;
  for (const ProbeRun& r : ctx.runs) {
    bool seen = false;
    for (const DeletionRow& d : del) seen = seen || shape_of(*d.run) == shape_of(r);
    if (seen || r.config.model.n_layer < 2) continue;
    ModelScorer s(load_model(r.dir / "checkpoint.bin"), ctx.threads, B);
    DeletionRow d;
    d.run = &r;
    d.base_loss = s.mean_loss(val);
    for (int l = 0; l < r.config.model.n_layer; ++l) {
      s.delete_block(l);
      d.delta.push_back(s.mean_loss(val) - d.base_loss);
      s.restore();
    }
    del.push_back(std::move(d));
  }

  Json figures = Json::array();
  std::vector<std::string> full_sentences;
  {
    Json f = figure_json("ensemble-k", "k models of N/k against one of N (the same compute)",
                         {"members k", true, false}, {"validation loss (nats/token)", false, false});
    std::vector<double> sizes;
    for (const EnsembleRow& e : ens)
      if (std::find(sizes.begin(), sizes.end(), e.design.N) == sizes.end()) sizes.push_back(e.design.N);
    for (double n : sizes) {
      std::vector<double> k, le, lm;
      double single = NAN, full_N = NAN;
      for (const EnsembleRow& e : ens)
        if (e.design.N == n) {
          k.push_back(static_cast<double>(e.design.k));
          le.push_back(e.ensemble_loss);
          lm.push_back(e.member_loss);
          if (e.design.k == 1) single = e.ensemble_loss, full_N = e.member_N;
        }
      const double label_N = std::isfinite(full_N) ? full_N : n;
      f["series"].push_back(series_json("ensemble, N = " + short_count(label_N), k, le,
                                        {.color_value = label_N, .marker = "circle"}));
      f["series"].push_back(series_json("", k, lm, {.color_value = label_N, .marker = "open", .dash = "dashed"}));
      if (!std::isfinite(single)) continue;
      // Every k against the single model of the same compute, with the parameter ratio
      // the rounding to whole heads gave.
      std::string parts;
      for (const EnsembleRow& e : ens)
        if (e.design.N == n && e.design.k > 1)
          parts += fmt::format("{}{} x {} ({:.2f}x its parameters) {:.3f} ({:+.1f}%)", parts.empty() ? "" : ", ",
                               e.design.k, short_count(e.member_N),
                               static_cast<double>(e.design.k) * e.member_N / full_N, e.ensemble_loss,
                               100.0 * (e.ensemble_loss - single) / single);
      const EnsembleRow* best = nullptr;
      for (const EnsembleRow& e : ens)
        if (e.design.N == n && (!best || e.ensemble_loss < best->ensemble_loss)) best = &e;
      if (!parts.empty())
        full_sentences.push_back(fmt::format("one model of {} reaches {:.3f} nats/token, {} (lowest: k = {})",
                                             short_count(full_N), single, parts, best->design.k));
    }
    f["colorbar"] = "N (params)";
    std::string s = "Solid: the averaged distribution of k members; dashed: the members' own mean loss. ";
    for (size_t i = 0; i < full_sentences.size(); ++i)
      s += (i ? "; " : "At the same training tokens, ") + full_sentences[i];
    double gain = 0;
    for (const EnsembleRow& e : ens)
      if (e.design.k > 1) gain = std::max(gain, e.member_loss - e.ensemble_loss);
    s += fmt::format(". Averaging lowers the loss below the members' mean by up to {:.3f} nats/token.", gain);
    f["sentence"] = s;
    figures.push_back(f);
  }
  if (!del.empty()) {
    Json f = figure_json("ensemble-deletion", "Layer deletion: loss increase when one block is removed",
                         {"deleted block", false, false}, {"loss increase (nats/token)", false, false});
    std::string s;
    for (const DeletionRow& d : del) {
      std::vector<double> l(d.delta.size());
      for (size_t i = 0; i < l.size(); ++i) l[i] = static_cast<double>(i + 1);
      f["series"].push_back(series_json(fmt::format("N = {} ({} blocks)", short_count(d.run->N), d.delta.size()), l,
                                        d.delta, {.color_value = d.run->N, .marker = "circle"}));
    }
    const DeletionRow& big = *std::max_element(del.begin(), del.end(), [](auto& a, auto& b) { return a.run->N < b.run->N; });
    const auto worst = std::max_element(big.delta.begin(), big.delta.end());
    const auto mildest = std::min_element(big.delta.begin(), big.delta.end());
    std::vector<double> n_all, mean_delta;
    for (const DeletionRow& d : del) {
      double m = 0;
      for (double v : d.delta) m += v / static_cast<double>(d.delta.size());
      n_all.push_back(d.run->N);
      mean_delta.push_back(m);
    }
    const double rho = spearman(n_all, mean_delta);
    s = fmt::format(
        "For the largest model (N = {}, {} blocks) deleting block {} costs most ({:+.3f} nats/token, {:.0f}% of its "
        "loss {:.3f}) and block {} least ({:+.3f}). The mean cost of deleting one block {} with N (Spearman {:.2f}).",
        short_count(big.run->N), big.delta.size(), worst - big.delta.begin() + 1, *worst,
        100.0 * *worst / big.base_loss, big.base_loss, mildest - big.delta.begin() + 1, *mildest,
        trend_word(rho, "rises", "falls"), std::isnan(rho) ? 0.0 : rho);
    f["colorbar"] = "N (params)";
    f["sentence"] = s;
    figures.push_back(f);
  }

  std::vector<std::vector<std::string>> t1, t2;
  Json rows = Json::array(), drows = Json::array();
  for (const EnsembleRow& e : ens) {
    t1.push_back({short_count(e.design.N), std::to_string(e.design.k), short_count(e.member_N),
                  fmt::format("{:.4f}", e.ensemble_loss), fmt::format("{:.4f}", e.member_loss)});
    rows.push_back({{"N", e.design.N}, {"k", e.design.k}, {"member_N", e.member_N}, {"members", e.members},
                    {"ensemble_loss", e.ensemble_loss}, {"member_loss", e.member_loss}});
  }
  for (const DeletionRow& d : del) {
    std::string deltas;
    for (double v : d.delta) deltas += (deltas.empty() ? "" : ", ") + fmt::format("{:+.3f}", v);
    t2.push_back({d.run->name, short_count(d.run->N), fmt::format("{:.4f}", d.base_loss), deltas});
    drows.push_back({{"run", d.run->name}, {"N", d.run->N}, {"base_loss", d.base_loss}, {"delta", d.delta}});
  }
  Json result;
  result["title"] = "Ensembles and layer deletion";
  result["figures"] = figures;
  result["tables"] = Json::array({table_json("Ensembles", {"N", "k", "member N", "ensemble loss", "members' mean loss"}, t1),
                                  table_json("Layer deletion", {"run", "N", "loss", "increase per deleted block"}, t2)});
  result["summary"] = {{"ensembles", rows}, {"deletion", drows}, {"eval_tokens", val.num_tokens()}};
  std::vector<std::string> findings;
  for (const Json& f : figures) findings.push_back(f["sentence"]);
  result["findings"] = findings;
  return result;
}

}  // namespace scalelab::probe
