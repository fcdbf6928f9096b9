// The emergence probe (probe_runner.h): the same greedy answers of every run and snapshot
// to the same held-out task problems, scored four ways (task_metrics.h), each metric
// fitted against training compute (metric_fits.h).
//
// Why four ways: Schaeffer et al. (2023) argue that many "emergent" abilities (Wei et al.
// 2022) are made sharp by the metric: exact match over an answer of A tokens behaves like
// p^A of a per-token accuracy p that improves smoothly. Scoring the same outputs with
// exact match, per-token accuracy, edit distance and the log-likelihood of the correct
// answer shows whether the jump belongs to the model or to the metric.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/count_format.h"
#include "core/error.h"
#include "core/training_compute.h"
#include "data/tasks.h"
#include "probe/figures.h"
#include "probe/metric_fits.h"
#include "probe/model_eval.h"
#include "probe/probe_runner.h"
#include "probe/task_metrics.h"
#include "probe/trend.h"
#include "train/snapshots.h"

namespace scalelab::probe {

namespace {

// The four metrics, each oriented so that higher is better and 1 is perfect.
constexpr int kMetrics = 4;
const char* const kMetricNames[kMetrics] = {"exact match", "per-token accuracy", "1 - edit distance / length",
                                            "p(correct token) = exp(loglik / length)"};
const char* const kMetricKeys[kMetrics] = {"exact_match", "token_accuracy", "edit_similarity", "token_likelihood"};

struct EmergenceRow {
  const ProbeRun* run = nullptr;
  int64_t step = 0, tokens = 0;
  bool final = false;
  double C = 0;  // 6 N D at this checkpoint
  MetricSummary summary;
  double metric[kMetrics] = {};
};

std::vector<uint16_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

// A share of a metric's change across the ladder, or why there is none.
std::string share_text(double fraction) {
  return std::isfinite(fraction) ? fmt::format("{:.0f}%", 100 * fraction) : std::string("n/a (no change)");
}

}  // namespace

Json run_emergence_probe(const ProbeContext& ctx) {
  const RunConfig& cfg = ctx.runs.front().config;
  const std::unique_ptr<data::Task> task = cfg.data.task();
  SL_REQUIRE(task != nullptr, "probe emergence: the runs trained without a task; set data.task (addition, modular "
             "or recall) in the spec's [data]");
  SL_REQUIRE(cfg.data.tokenizer == "byte", "probe emergence: task answers are scored byte by byte; data.tokenizer must "
             "be \"byte\", not \"{}\"", cfg.data.tokenizer);
  for (const ProbeRun& r : ctx.runs)
    SL_REQUIRE(r.config.to_json()["data"] == cfg.to_json()["data"], "probe emergence: runs '{}' and '{}' trained on "
               "different data", ctx.runs.front().name, r.name);
  const int T = static_cast<int>(cfg.model.seq_len);
  const int A = static_cast<int>(task->answer_length());
  const int line = static_cast<int>(task->line_length());
  // Few-shot context: as many solved validation problems as fit before the query (up to 4),
  // so the query sits after a newline as task lines do in training.
  const int shots = std::clamp((T - static_cast<int>(task->prompt_length()) - A + 1) / line, 0, 4);
  const uint64_t seed = static_cast<uint64_t>(ctx.options.seed);
  const std::vector<data::TaskExample> problems = data::sample_examples(*task, true, ctx.options.examples, seed);
  const std::vector<data::TaskExample> solved =
      data::sample_examples(*task, true, ctx.options.examples * std::max(1, shots), seed + 1);
  std::vector<std::string> prompts, answers;
  for (size_t i = 0; i < problems.size(); ++i) {
    std::string p;
    for (int s = 0; s < shots; ++s) p += task->line(solved[i * shots + s]);
    prompts.push_back(p + problems[i].prompt);
    answers.push_back(problems[i].answer);
  }

  std::vector<EmergenceRow> out;
  for (const ProbeRun& run : ctx.runs) {
    for (const Snapshot& snap : list_snapshots(run.dir)) {
      const LoadedModel m = load_model(snap.path);
      ModelScorer scorer(m, ctx.threads, 32);
      const Answers a = scorer.answer(prompts, answers);
      std::vector<AnswerScore> scores;
      for (size_t i = 0; i < answers.size(); ++i)
        scores.push_back(score_answer(a.generated[i], bytes_of(answers[i]), a.loglik[i]));
      EmergenceRow r;
      r.run = &run;
      r.step = m.step;
      r.tokens = m.tokens;
      r.final = snap.final;
      r.C = training_compute(run.N, static_cast<double>(m.tokens));
      r.summary = summarize(scores);
      r.metric[0] = r.summary.exact_match;
      r.metric[1] = r.summary.token_accuracy;
      r.metric[2] = 1.0 - r.summary.edit_distance / A;
      r.metric[3] = std::exp(r.summary.loglik / A);
      if (ctx.log)
        ctx.log(fmt::format("emergence: {} step {}: exact {:.3f}, token acc {:.3f}, edit {:.3f}, loglik {:.3f}", run.name,
                            r.step, r.summary.exact_match, r.summary.token_accuracy, r.summary.edit_distance,
                            r.summary.loglik));
      out.push_back(r);
    }
  }

  // ---- fits against compute, jumps against N ---------------------------------------
  std::vector<double> C;
  for (const EmergenceRow& r : out) C.push_back(r.C);
  std::vector<const EmergenceRow*> finals;
  for (const EmergenceRow& r : out)
    if (r.final) finals.push_back(&r);
  std::vector<double> fN;
  for (const EmergenceRow* r : finals) fN.push_back(r->run->N);
  struct MetricFit {
    CurveFit sigmoid, bnsl;
    double width = NAN, jump_N = NAN;
  };
  MetricFit fits[kMetrics];
  for (int k = 0; k < kMetrics; ++k) {
    std::vector<double> y, err, yN;
    for (const EmergenceRow& r : out) y.push_back(r.metric[k]), err.push_back(1.0 - r.metric[k]);
    for (const EmergenceRow* r : finals) yN.push_back(r->metric[k]);
    fits[k].sigmoid = fit_sigmoid(C, y);
    fits[k].bnsl = fit_bnsl(C, err);
    fits[k].width = transition_decades(fits[k].sigmoid);
    fits[k].jump_N = largest_jump_fraction(fN, yN);
  }

  Json figures = Json::array();
  const double c_lo = *std::min_element(C.begin(), C.end()), c_hi = *std::max_element(C.begin(), C.end());
  {
    Json f = figure_json("emergence-metrics", "The same answers scored four ways, against training compute",
                         {"training compute C = 6ND (FLOP)", true, false}, {"score (1 = perfect)", false, false, 0.0, 1.0});
    for (int k = 0; k < kMetrics; ++k) {
      std::vector<double> y;
      for (const EmergenceRow& r : out) y.push_back(r.metric[k]);
      f["series"].push_back(series_json(kMetricNames[k], C, y,
                                        {.color = category_color(k), .line = false, .marker = "circle"}));
      if (fits[k].sigmoid.ok) {
        std::vector<double> xs, ys;
        for (int i = 0; i <= 60; ++i) {
          const double x = c_lo * std::pow(c_hi / c_lo, i / 60.0);
          xs.push_back(x);
          ys.push_back(predict(fits[k].sigmoid, x));
        }
        f["series"].push_back(series_json("", xs, ys, {.color = category_color(k), .dash = "dashed"}));
      }
    }
    // The verdict: exact match looks sharp while the others look smooth when its sigmoid is
    // much narrower than theirs.
    const double w_exact = fits[0].width;
    double w_smooth = INFINITY;
    for (int k = 1; k < 3; ++k)
      if (std::isfinite(fits[k].width)) w_smooth = std::min(w_smooth, fits[k].width);
    // Range of each metric over every checkpoint: a sigmoid fitted to a metric that barely
    // moves has a meaningless width, so the comparison needs exact match to move.
    double lo[kMetrics], hi[kMetrics];
    for (int k = 0; k < kMetrics; ++k) {
      lo[k] = INFINITY, hi[k] = -INFINITY;
      for (const EmergenceRow& r : out) lo[k] = std::min(lo[k], r.metric[k]), hi[k] = std::max(hi[k], r.metric[k]);
    }
    std::string verdict;
    if (hi[0] - lo[0] < 0.1)
      verdict = fmt::format("Exact match never moves by more than {:.1f} points (at most {:.1f}%), while per-token "
                            "accuracy spans {:.0f}% to {:.0f}% and the correct token's probability {:.2f} to {:.2f}: "
                            "the per-token metrics see progress that exact match does not show.",
                            100 * (hi[0] - lo[0]), 100 * hi[0], 100 * lo[1], 100 * hi[1], lo[3], hi[3]);
    else if (!std::isfinite(w_exact) || !std::isfinite(w_smooth))
      verdict = "A sigmoid could not be fitted to every metric, so no sharpness comparison is made.";
    else if (w_exact <= 0.6 * w_smooth) {
      // A sigmoid narrower than the gap between checkpoints is a step the data cannot
      // resolve: say so rather than quote a width of zero.
      constexpr double kResolvable = 0.05;  // decades
      const std::string width = w_exact < kResolvable
                                    ? fmt::format("a single step between checkpoints (< {:.2f} decades)", kResolvable)
                                    : fmt::format("{:.2f} decades", w_exact);
      verdict = fmt::format("Along training compute, exact match rises from 10% to 90% within {}, at least {:.0f}x "
                            "narrower than the per-token metrics ({:.2f} decades or more): they move first and "
                            "gradually, as Schaeffer et al. (2023) expect of a metric that needs every token right.",
                            width, w_smooth / std::max(w_exact, kResolvable), w_smooth);
    }
    else
      verdict = fmt::format("Exact match is not much sharper than the per-token metrics here: 10%-90% widths of "
                            "{:.2f} against {:.2f} decades of compute.", w_exact, w_smooth);
    f["sentence"] = fmt::format("{} ({} runs x {} checkpoints; dashed: sigmoid fits in log C; {} held-out {} problems "
                                "with {}-shot context.)",
                                verdict, ctx.runs.size(), out.size() / std::max<size_t>(1, ctx.runs.size()),
                                problems.size(), task->describe(), shots);
    figures.push_back(f);
  }
  {
    Json f = figure_json("emergence-size", "Final checkpoints against model size",
                         {"N (non-embedding params)", true, true}, {"score (1 = perfect)", false, false, 0.0, 1.0});
    for (int k = 0; k < kMetrics; ++k) {
      std::vector<double> y;
      for (const EmergenceRow* r : finals) y.push_back(r->metric[k]);
      f["series"].push_back(series_json(kMetricNames[k], fN, y, {.color = category_color(k), .marker = "circle"}));
    }
    const auto best = std::max_element(finals.begin(), finals.end(),
                                       [](auto a, auto b) { return a->metric[0] < b->metric[0]; });
    f["sentence"] = fmt::format(
        "Between consecutive sizes, the largest single step carries {} of exact match's change across the "
        "ladder, against {} for per-token accuracy, {} for edit similarity and {} for the correct "
        "token's probability. The best final exact match is {:.1f}% (N = {}).",
        share_text(fits[0].jump_N), share_text(fits[1].jump_N), share_text(fits[2].jump_N), share_text(fits[3].jump_N),
        100 * (*best)->metric[0], short_count((*best)->run->N));
    figures.push_back(f);
  }
  {
    Json f = figure_json("emergence-training", "Exact match along training, one line per size",
                         {"training compute C = 6ND (FLOP)", true, false}, {"exact match", false, false, 0.0, 1.0});
    // Per run, the compute at which exact match first reaches 50%, if it does.
    std::vector<std::string> passed, never;
    for (const ProbeRun& run : ctx.runs) {
      std::vector<double> x, y;
      double first_C = INFINITY;
      for (const EmergenceRow& r : out)
        if (r.run == &run) {
          x.push_back(r.C), y.push_back(r.metric[0]);
          if (r.metric[0] >= 0.5) first_C = std::min(first_C, r.C);
        }
      f["series"].push_back(series_json("N = " + short_count(run.N), x, y, {.color_value = run.N, .marker = "circle"}));
      if (std::isfinite(first_C))
        passed.push_back(fmt::format("N = {} at C = {:.2g} FLOP ({} tokens)", short_count(run.N), first_C,
                                     short_count(tokens_at_compute(first_C, run.N))));
      else
        never.push_back(short_count(run.N));
    }
    f["colorbar"] = "N (params)";
    auto join = [](const std::vector<std::string>& v, const char* sep) {
      std::string s;
      for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
      return s;
    };
    if (passed.empty())
      f["sentence"] = "No run reaches 50% exact match within its training.";
    else
      f["sentence"] = fmt::format("Exact match first passes 50% for {}{}.", join(passed, "; "),
                                  never.empty() ? std::string()
                                                : fmt::format("; the runs of N = {} never do", join(never, ", ")));
    figures.push_back(f);
  }

  std::vector<std::vector<std::string>> table;
  Json fits_json = Json::object();
  for (int k = 0; k < kMetrics; ++k) {
    const CurveFit& s = fits[k].sigmoid;
    table.push_back({kMetricNames[k], s.ok ? fmt::format("{:.3g}", std::pow(10.0, s.params[2])) : "n/a",
                     fmt::format("{:.2f}", fits[k].width), s.ok ? fmt::format("{:.3f}", s.r2) : "n/a",
                     fits[k].bnsl.ok ? fmt::format("{:.3f}", fits[k].bnsl.r2) : "n/a",
                     share_text(fits[k].jump_N)});
    fits_json[kMetricKeys[k]] = {{"sigmoid", {{"names", s.names}, {"params", s.params}, {"r2", s.r2}, {"ok", s.ok},
                                              {"message", s.message}}},
                                 {"bnsl", {{"names", fits[k].bnsl.names}, {"params", fits[k].bnsl.params},
                                           {"r2", fits[k].bnsl.r2}, {"ok", fits[k].bnsl.ok},
                                           {"message", fits[k].bnsl.message}}},
                                 {"transition_decades", std::isfinite(fits[k].width) ? Json(fits[k].width) : Json()},
                                 {"largest_jump_vs_N", std::isfinite(fits[k].jump_N) ? Json(fits[k].jump_N) : Json()}};
  }
  Json rows = Json::array();
  for (const EmergenceRow& r : out) {
    Json j = {{"run", r.run->name}, {"N", r.run->N}, {"step", r.step}, {"tokens", r.tokens}, {"C", r.C},
              {"final", r.final}, {"edit_distance", r.summary.edit_distance}, {"loglik", r.summary.loglik}};
    for (int k = 0; k < kMetrics; ++k) j[kMetricKeys[k]] = r.metric[k];
    rows.push_back(j);
  }
  Json result;
  result["title"] = "Emergence and its metrics";
  result["figures"] = figures;
  result["tables"] = Json::array({table_json(
      "Each metric against compute (sigmoid in log C; BNSL on 1 - metric) and against N (final checkpoints)",
      {"metric", "sigmoid midpoint C", "10-90% width (decades)", "sigmoid R2", "BNSL R2", "largest step vs N"}, table)});
  result["summary"] = {{"task", task->describe()}, {"examples", problems.size()}, {"shots", shots},
                       {"fits", fits_json}, {"rows", rows}};
  std::vector<std::string> findings;
  for (const Json& f : figures) findings.push_back(f["sentence"]);
  result["findings"] = findings;
  return result;
}

}  // namespace scalelab::probe
