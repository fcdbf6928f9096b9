// The planner (planner.h): spec -> runs with configs, counts, WSD trunks and branches,
// throughput-probed time estimates and totals.
#include "sweep/planner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/config.h"
#include "core/count_format.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/training_compute.h"
#include "data/corpus.h"
#include "model/accounting.h"
#include "train/schedule.h"
#include "train/throughput.h"

namespace scalelab::sweep {

namespace {

// Kaplan et al. 2020, eq. D.1: the learning rate that worked across their sizes.
double kaplan_lr(double n_nonembedding) { return 0.003239 - 0.0001395 * std::log(n_nonembedding); }

// Defaults, then the spec's [data]/[model]/[train] sections.
RunConfig base_config(const ExperimentSpec& spec, const std::vector<std::string>& sets) {
  RunConfig rc;
  ConfigBinder b;
  rc.bind(b);
  b.apply_toml_string(spec.run_sections, spec.source);
  for (const std::string& s : sets) b.apply_set(s);
  if (spec.wsd_reuse) {
    SL_REQUIRE(!b.was_set("train.schedule") || rc.train.schedule == "wsd",
               "{}: wsd.reuse needs train.schedule = \"wsd\", got \"{}\"", spec.source, rc.train.schedule);
    SL_REQUIRE(!b.was_set("train.wsd_cooldown_fraction"),
               "{}: train.wsd_cooldown_fraction: with [wsd] reuse set wsd.cooldown_fraction instead", spec.source);
    rc.train.schedule = "wsd";
    rc.train.wsd_cooldown_fraction = spec.wsd_cooldown_fraction;
  }
  if (spec.lr.rule == "mup") {
    SL_REQUIRE(!b.was_set("model.parameterization") || rc.model.parameterization == "mup",
               "{}: lr.rule = \"mup\" needs model.parameterization = \"mup\", got \"{}\"", spec.source,
               rc.model.parameterization);
    rc.model.parameterization = "mup";
    rc.model.mup_base_width = spec.lr.base_width;
  }
  return rc;
}

struct Candidate {
  std::string kind;
  Shape shape{};
  int64_t steps = 0;
  int64_t seed = 0;
  std::string field;  // the spec field that asked for it, for errors
};

ModelConfig with_shape(const ModelConfig& base, const Shape& s) {
  ModelConfig m = base;
  m.n_layer = s[0];
  m.d_model = s[1];
  m.n_head = s[2];
  return m;
}

Shape shape_of(const ModelConfig& m) { return {m.n_layer, m.d_model, m.n_head}; }

double nonembedding(const ModelConfig& base, const Shape& s) {
  return static_cast<double>(count_params(with_shape(base, s)).nonembedding);
}

}  // namespace

Json PlannedRun::plan_json() const {
  Json forks_json = Json::array();
  for (const auto& [step, branch] : forks) forks_json.push_back({{"step", step}, {"branch", branch}});
  return Json{{"kind", kind},
              {"shape", {config.model.n_layer, config.model.d_model, config.model.n_head}},
              {"params_nonembedding", params_nonembedding},
              {"params_total", params_total},
              {"steps", steps},
              {"tokens", tokens},
              {"flops", flops},
              {"flops_full", flops_full},
              {"lr", lr},
              {"seed", config.train.seed},
              {"heldout", heldout},
              {"epochs", epochs},
              {"trunk", trunk},
              {"fork_step", fork_step},
              {"forks", forks_json},
              {"tokens_to_train", tokens_to_train},
              {"tokens_per_second", tokens_per_second},
              {"est_seconds", est_seconds},
              {"threads", threads}};
}

std::string run_config_toml(const RunConfig& config) { return config.to_toml(); }

std::string config_hash(const RunConfig& config) {
  Json j = config.to_json();
  j["train"].erase("threads");
  // "auto" is the only precision before the CUDA backend: leaving it out keeps the hashes,
  // and so the runs, of stores written before the key existed.
  if (j["train"].value("precision", "auto") == "auto") j["train"].erase("precision");
  return fnv1a64_hex(j.dump());
}

Plan make_plan(const ExperimentSpec& spec, const PlanOptions& options) {
  SL_REQUIRE(options.workers >= 1, "--workers: expected at least 1, got {}", options.workers);
  Plan plan;
  plan.experiment = spec.name;
  plan.workers = options.workers;
  plan.threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int worker_threads = std::max(1, plan.threads / plan.workers);

  const RunConfig base = base_config(spec, options.sets);
  base.validate();
  const data::Corpus corpus = base.data.load(static_cast<int>(base.model.seq_len));
  plan.corpus_train_tokens = static_cast<int64_t>(corpus.train.size());
  const int64_t tokens_per_step = base.tokens_per_step();

  // Sizes: targets through the shape rule, then explicit shapes; duplicates dropped.
  std::vector<Shape> sizes;
  auto add_size = [&](const Shape& s) {
    if (std::find(sizes.begin(), sizes.end(), s) == sizes.end()) sizes.push_back(s);
  };
  for (double n : spec.size_params) add_size(shape_of(shape_for_params(n, spec.family, base.model)));
  for (const Shape& s : spec.size_shapes) add_size(s);
  std::sort(sizes.begin(), sizes.end(),
            [&](const Shape& a, const Shape& b) { return nonembedding(base.model, a) < nonembedding(base.model, b); });

  auto steps_for = [&](double tokens, const std::string& field, double n) {
    SL_REQUIRE(tokens >= static_cast<double>(tokens_per_step),
               "{}: {}: {:.4g} tokens for N = {:.4g} is fewer than one batch ({} tokens = train.batch_size x "
               "train.grad_accum x model.seq_len)",
               spec.source, field, tokens, n, tokens_per_step);
    return static_cast<int64_t>(std::llround(tokens / static_cast<double>(tokens_per_step)));
  };

  std::vector<Candidate> cands;
  for (int64_t seed : spec.seeds) {
    for (const Shape& s : sizes) {
      const double n = nonembedding(base.model, s);
      std::set<int64_t> steps;
      for (double k : spec.tokens_per_param) steps.insert(steps_for(k * n, "budgets.tokens_per_param", n));
      for (double d : spec.tokens) steps.insert(steps_for(d, "budgets.tokens", n));
      for (int64_t st : steps) cands.push_back({"ladder", s, st, seed, "budgets"});
    }
    std::vector<Shape> iso_sizes;
    for (double n : spec.isoflop_params) iso_sizes.push_back(shape_of(shape_for_params(n, spec.family, base.model)));
    if (spec.isoflop_params.empty()) iso_sizes = sizes;
    for (double c : spec.isoflop_flops)
      for (const Shape& s : iso_sizes) {
        const double n = nonembedding(base.model, s);
        cands.push_back({"isoflop", s, steps_for(tokens_at_compute(c, n), "isoflop.flops", n), seed, "isoflop"});
      }
    auto add_explicit = [&](const HeldOut& h, const std::string& kind, const std::string& table) {
      if (!h.seeds.empty() && std::find(h.seeds.begin(), h.seeds.end(), seed) == h.seeds.end()) return;
      const Shape s = h.shape ? *h.shape : shape_of(shape_for_params(h.params, spec.family, base.model));
      const double n = nonembedding(base.model, s);
      const double d = h.tokens > 0 ? h.tokens : h.tokens_per_param * n;
      cands.push_back({kind, s, steps_for(d, table + ".tokens", n), seed, table});
    };
    for (const HeldOut& h : spec.extra_runs) add_explicit(h, "ladder", "runs");
    for (const HeldOut& h : spec.heldout) add_explicit(h, "heldout", "heldout");
  }

  // One run per (shape, steps, seed, held-out or not); resolve configs and names.
  std::set<std::tuple<Shape, int64_t, int64_t, bool>> seen;
  std::set<std::string> names;
  for (const Candidate& c : cands) {
    const bool heldout = c.kind == "heldout";
    if (!seen.insert({c.shape, c.steps, c.seed, heldout}).second) continue;
    PlannedRun r;
    r.kind = c.kind;
    r.heldout = heldout;
    r.config = base;
    r.config.model = with_shape(base.model, c.shape);
    r.config.train.steps = c.steps;
    r.config.train.tokens = 0;
    r.config.train.seed = c.seed;
    const ParamCounts pc = count_params(r.config.model);
    r.params_nonembedding = pc.nonembedding;
    r.params_total = pc.total;
    r.lr = spec.lr.rule == "kaplan" ? spec.lr.scale * kaplan_lr(static_cast<double>(pc.nonembedding)) : spec.lr.lr;
    r.config.train.lr = r.lr;
    try {
      r.config.validate();
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {} (the run of shape [{}, {}, {}] from {})", spec.source, e.what(),
                                   c.shape[0], c.shape[1], c.shape[2], c.field));
    }
    r.steps = c.steps;
    r.tokens = c.steps * tokens_per_step;
    r.flops = training_compute(static_cast<double>(pc.nonembedding), static_cast<double>(r.tokens));
    r.flops_full = count_flops(r.config.model).per_token_full * static_cast<double>(r.tokens);
    r.epochs = static_cast<double>(r.tokens) / static_cast<double>(std::max<int64_t>(1, plan.corpus_train_tokens));
    r.tokens_to_train = r.tokens;
    // Held-out runs train alone, after the rest (on every thread unless told otherwise).
    r.threads = heldout ? (options.heldout_threads > 0 ? options.heldout_threads : plan.threads) : worker_threads;
    std::string name = fmt::format("{}n{}-d{}", heldout ? "heldout-" : (c.kind == "isoflop" ? "iso-" : ""),
                                   short_count(static_cast<double>(pc.nonembedding)),
                                   short_count(static_cast<double>(r.tokens)));
    if (names.count(name)) name += fmt::format("-L{}d{}", c.shape[0], c.shape[1]);
    if (spec.seeds.size() > 1) name += fmt::format("-s{}", c.seed);
    SL_ASSERT(!names.count(name));
    names.insert(name);
    r.name = name;
    if (r.epochs > spec.max_epochs)
      plan.warnings.push_back(fmt::format("{} repeats the training data {:.1f} times (more than experiment.max_epochs = "
                                          "{:g}); its loss may not follow an unconstrained law",
                                          r.name, r.epochs, spec.max_epochs));
    plan.runs.push_back(std::move(r));
  }
  SL_REQUIRE(!plan.runs.empty(), "{}: the spec plans no run", spec.source);
  const auto ladder_runs = std::count_if(plan.runs.begin(), plan.runs.end(), [](const PlannedRun& r) { return !r.heldout; });
  if (ladder_runs < 5 && ladder_runs < static_cast<long>(plan.runs.size()))
    plan.warnings.push_back(fmt::format("the held-out forecast needs an approach-3 fit of 5 parameters, and only {} "
                                        "other run(s) are planned; the held-out runs will fail unforecast",
                                        ladder_runs));
  std::stable_partition(plan.runs.begin(), plan.runs.end(), [](const PlannedRun& r) { return !r.heldout; });

  // WSD reuse: group the non-held-out runs by (shape, seed); the longest is the trunk.
  if (spec.wsd_reuse) {
    std::map<std::pair<Shape, int64_t>, std::vector<size_t>> groups;
    for (size_t i = 0; i < plan.runs.size(); ++i)
      if (!plan.runs[i].heldout)
        groups[{shape_of(plan.runs[i].config.model), plan.runs[i].config.train.seed}].push_back(i);
    for (auto& [key, idx] : groups) {
      std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return plan.runs[a].steps > plan.runs[b].steps; });
      PlannedRun& trunk = plan.runs[idx[0]];
      for (size_t k = 1; k < idx.size(); ++k) {
        PlannedRun& b = plan.runs[idx[k]];
        const int64_t fork = LrSchedule(b.config.train.schedule_config(b.steps)).cooldown_start();
        if (fork < 1) continue;  // a branch with no stable phase trains from scratch
        b.trunk = trunk.name;
        b.fork_step = fork;
        b.tokens_to_train = b.tokens - fork * tokens_per_step;
        trunk.forks.emplace_back(fork, b.name);
      }
      std::sort(trunk.forks.begin(), trunk.forks.end());
    }
  }

  // Throughput probe: a few steps of each distinct (shape, threads).
  std::map<std::pair<Shape, int>, double> tps;
  for (PlannedRun& r : plan.runs) {
    const auto key = std::make_pair(shape_of(r.config.model), r.threads);
    if (!tps.count(key)) {
      if (options.probe) {
        tps[key] = measure_throughput(r.config.model, static_cast<int>(r.config.train.batch_size), r.threads,
                                      /*warmup=*/1, /*steps=*/2)
                       .tokens_per_second;
      } else {
        tps[key] = options.assumed_gflops * 1e9 * r.threads / count_flops(r.config.model).per_token_full;
      }
    }
    r.tokens_per_second = tps[key];
    // Validation costs a forward pass (about a third of a training step per token) over
    // val_max_tokens at each evaluation.
    const int64_t evals = (r.config.train.eval_every > 0 ? r.steps / r.config.train.eval_every : 0) + 1;
    const double val_tokens = static_cast<double>(std::min<int64_t>(
        r.config.data.val_max_tokens > 0 ? r.config.data.val_max_tokens : static_cast<int64_t>(corpus.val.size()),
        static_cast<int64_t>(corpus.val.size())));
    const int64_t own_evals = r.steps > 0 ? evals * (r.steps - r.fork_step) / r.steps + 1 : 1;
    r.est_seconds = (static_cast<double>(r.tokens_to_train) + own_evals * val_tokens / 3.0) / r.tokens_per_second;
  }

  // Totals and the wall-time estimate: a longest-first list schedule of the trunks (each
  // with its branches, which run after it) on the workers, then the held-out runs.
  std::map<std::string, double> chain;  // trunk (or lone run) -> seconds of it and its branches
  for (const PlannedRun& r : plan.runs) {
    plan.tokens_to_train += r.tokens_to_train;
    plan.tokens_without_reuse += r.tokens;
    const double per_token = r.flops / static_cast<double>(r.tokens);
    plan.flops_to_train += per_token * static_cast<double>(r.tokens_to_train);
    plan.flops_without_reuse += r.flops;
    plan.est_seconds_serial += r.est_seconds;
    if (!r.heldout) chain[r.trunk.empty() ? r.name : r.trunk] += r.est_seconds;
  }
  std::vector<double> jobs;
  for (const auto& [name, s] : chain) jobs.push_back(s);
  std::sort(jobs.rbegin(), jobs.rend());
  std::vector<double> load(static_cast<size_t>(plan.workers), 0.0);
  for (double j : jobs) *std::min_element(load.begin(), load.end()) += j;
  plan.est_wall_seconds = *std::max_element(load.begin(), load.end());
  for (const PlannedRun& r : plan.runs)
    if (r.heldout) plan.est_wall_seconds += r.est_seconds;
  return plan;
}

}  // namespace scalelab::sweep
