// Tests of the planner (sweep/planner.h) on the committed corpus, without the throughput
// probe: run counts, names, N/D/C arithmetic, held-out runs, WSD trunks and branches and
// the tokens they save, impossible budgets, the epoch warning, the LR rules, config
// hashes, and run configs that load back through load_run_config.
#include "sweep/planner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "../core/core_testing.h"
#include "core/hash.h"
#include "core/json.h"
#include "model/accounting.h"
#include "sweep/spec.h"
#include "train/schedule.h"

namespace scalelab::sweep {
namespace {

using core_testing::input_error_message;
using core_testing::ScratchDir;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

constexpr int64_t kSeqLen = 32, kBatch = 8, kTokensPerStep = kSeqLen * kBatch;

// A spec on the committed corpus with seq_len 32 and batch 8 (256 tokens per step); the
// caller adds the experiment's own tables.
std::string spec_text(const std::string& tables, const std::string& experiment_extra = "") {
  return "[experiment]\nname = \"plan-test\"\n" + experiment_extra + "[data]\npath = \"" SCALELAB_SOURCE_DIR
         "/tests/data/corpus/train_sample.txt\"\nval_max_tokens = 2048\n[model]\nseq_len = 32\n"
         "[train]\nbatch_size = 8\nwarmup_steps = 5\n" +
         tables;
}

const PlanOptions kFast{.workers = 2, .threads = 4, .probe = false};

Plan plan_of(const std::string& text) { return make_plan(parse_spec(text, "plan.toml"), kFast); }

std::string plan_error(const std::string& text) {
  return input_error_message([&] { plan_of(text); });
}

const char* kLadder =
    "[sizes]\nshapes = [[1, 16, 1], [1, 32, 2], [2, 32, 2]]\n"
    "[budgets]\ntokens_per_param = [2, 4]\ntokens = [16384]\n"
    "[isoflop]\nflops = [2e9]\n"
    "[lr]\nlr = 2e-3\n"
    "[[heldout]]\nshape = [2, 48, 3]\ntokens = 32768\n";

TEST(Planner, CountsNamesAndArithmetic) {
  const Plan plan = plan_of(spec_text(kLadder, "seeds = [1, 2]\n"));
  // (3 sizes x 3 budgets + 3 IsoFLOP sizes + 1 held-out) x 2 seeds; no two of them share
  // a (shape, steps) at these sizes, so none is merged.
  EXPECT_EQ(plan.runs.size(), static_cast<size_t>((3 * 3 + 3 + 1) * 2));
  EXPECT_EQ(plan.experiment, "plan-test");
  EXPECT_EQ(plan.workers, 2);
  EXPECT_EQ(plan.threads, 4);
  EXPECT_GT(plan.corpus_train_tokens, 100000);  // ~150 kB of text, 90% of it for training
  EXPECT_TRUE(plan.warnings.empty());

  std::set<std::string> names;
  std::map<std::string, int> kinds;
  std::set<std::tuple<int64_t, int64_t, int64_t, int64_t>> distinct;  // L, d, steps, seed
  for (const PlannedRun& r : plan.runs) {
    names.insert(r.name);
    ++kinds[r.kind];
    distinct.insert({r.config.model.n_layer, r.config.model.d_model, r.steps, r.config.train.seed});
    const ParamCounts pc = count_params(r.config.model);
    EXPECT_EQ(r.params_nonembedding, pc.nonembedding) << r.name;
    EXPECT_EQ(r.params_total, pc.total) << r.name;
    EXPECT_EQ(r.steps, r.config.train.steps) << r.name;
    EXPECT_EQ(r.config.train.tokens, 0) << r.name;
    EXPECT_EQ(r.tokens, r.steps * kTokensPerStep) << r.name;
    EXPECT_DOUBLE_EQ(r.flops, 6.0 * static_cast<double>(pc.nonembedding) * static_cast<double>(r.tokens)) << r.name;
    EXPECT_DOUBLE_EQ(r.flops_full, count_flops(r.config.model).per_token_full * static_cast<double>(r.tokens)) << r.name;
    EXPECT_DOUBLE_EQ(r.epochs, static_cast<double>(r.tokens) / static_cast<double>(plan.corpus_train_tokens)) << r.name;
    EXPECT_EQ(r.tokens_to_train, r.tokens) << r.name;  // no WSD reuse
    EXPECT_TRUE(r.trunk.empty()) << r.name;
    EXPECT_TRUE(r.forks.empty()) << r.name;
    EXPECT_DOUBLE_EQ(r.lr, 2e-3) << r.name;
    EXPECT_DOUBLE_EQ(r.config.train.lr, 2e-3) << r.name;
    EXPECT_EQ(r.config.model.seq_len, kSeqLen);
    EXPECT_EQ(r.config.train.batch_size, kBatch);
    EXPECT_GT(r.est_seconds, 0) << r.name;
    const Json pj = r.plan_json();
    EXPECT_EQ(pj["tokens"], r.tokens);
    EXPECT_EQ(pj["heldout"], r.heldout);
    EXPECT_EQ(pj["shape"], Json({r.config.model.n_layer, r.config.model.d_model, r.config.model.n_head}));
  }
  EXPECT_EQ(names.size(), plan.runs.size()) << "names are not unique";
  EXPECT_EQ(distinct.size(), plan.runs.size());
  EXPECT_EQ(kinds["ladder"], 18);
  EXPECT_EQ(kinds["isoflop"], 6);
  EXPECT_EQ(kinds["heldout"], 2);

  // Each budget's steps are D / 256 rounded, D = k N or the absolute D.
  for (const PlannedRun& r : plan.runs) {
    const double n = static_cast<double>(r.params_nonembedding);
    if (r.kind == "isoflop") {
      EXPECT_EQ(r.steps, std::llround(2e9 / (6 * n) / kTokensPerStep)) << r.name;
    } else if (r.kind == "heldout") {
      EXPECT_EQ(r.steps, 32768 / kTokensPerStep) << r.name;
      EXPECT_EQ(r.config.model.d_model, 48);
      EXPECT_EQ(r.config.model.n_head, 3);
    } else {
      const std::set<int64_t> allowed = {std::llround(2 * n / kTokensPerStep), std::llround(4 * n / kTokensPerStep),
                                         16384 / kTokensPerStep};
      EXPECT_TRUE(allowed.count(r.steps)) << r.name << " " << r.steps;
    }
  }

  // Held-out runs come last and train alone on every thread; the rest share them out.
  bool seen_heldout = false;
  for (const PlannedRun& r : plan.runs) {
    if (r.heldout) {
      seen_heldout = true;
      EXPECT_EQ(r.kind, "heldout");
      EXPECT_EQ(r.threads, 4) << r.name;
      EXPECT_TRUE(contains(r.name, "heldout")) << r.name;
    } else {
      EXPECT_FALSE(seen_heldout) << r.name << " comes after a held-out run";
      EXPECT_EQ(r.threads, 2) << r.name;
    }
  }

  // Totals without reuse: every run trains all of its tokens.
  int64_t tokens = 0;
  double flops = 0, serial = 0;
  for (const PlannedRun& r : plan.runs) {
    tokens += r.tokens;
    flops += r.flops;
    serial += r.est_seconds;
  }
  EXPECT_EQ(plan.tokens_to_train, tokens);
  EXPECT_EQ(plan.tokens_without_reuse, tokens);
  EXPECT_DOUBLE_EQ(plan.flops_without_reuse, flops);
  EXPECT_NEAR(plan.flops_to_train, flops, 1e-9 * flops);
  EXPECT_NEAR(plan.est_seconds_serial, serial, 1e-9 * serial);
  EXPECT_LE(plan.est_wall_seconds, plan.est_seconds_serial * (1 + 1e-12));
}

TEST(Planner, BudgetsThatRoundToTheSameStepsAreOneRun) {
  // 8192 and 8200 tokens are both 32 steps of 256 tokens.
  const Plan plan = plan_of(spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192, 8200, 16384]\n"));
  ASSERT_EQ(plan.runs.size(), 2u);
  EXPECT_EQ(plan.runs[0].steps + plan.runs[1].steps, 32 + 64);
}

const char* kWsd =
    "[sizes]\nshapes = [[1, 16, 1], [1, 32, 2]]\n"
    "[budgets]\ntokens = [8192, 16384, 40960, 65536]\n"
    "[wsd]\nreuse = true\ncooldown_fraction = 0.25\n"
    "[[heldout]]\nshape = [2, 32, 2]\ntokens = 32768\n";

TEST(Planner, WsdReuseTrunksBranchesAndSavings) {
  const Plan plan = plan_of(spec_text(kWsd, "seeds = [3, 4]\n"));
  ASSERT_EQ(plan.runs.size(), static_cast<size_t>((2 * 4 + 1) * 2));
  std::map<std::string, const PlannedRun*> by_name;
  for (const PlannedRun& r : plan.runs) by_name[r.name] = &r;

  int64_t saved = 0;
  int trunks = 0, branches = 0;
  for (const PlannedRun& r : plan.runs) {
    EXPECT_EQ(r.config.train.schedule, "wsd") << r.name;
    EXPECT_DOUBLE_EQ(r.config.train.wsd_cooldown_fraction, 0.25) << r.name;
    if (r.heldout) {
      EXPECT_TRUE(r.trunk.empty());
      EXPECT_TRUE(r.forks.empty());
      EXPECT_EQ(r.tokens_to_train, r.tokens);
      continue;
    }
    if (r.trunk.empty()) {
      // A trunk: the longest run of its (shape, seed).
      ++trunks;
      EXPECT_EQ(r.steps, 65536 / kTokensPerStep) << r.name;
      EXPECT_EQ(r.fork_step, 0);
      EXPECT_EQ(r.tokens_to_train, r.tokens);
      ASSERT_EQ(r.forks.size(), 3u) << r.name;
      for (size_t i = 1; i < r.forks.size(); ++i) EXPECT_LT(r.forks[i - 1], r.forks[i]) << r.name << ": forks unsorted";
      for (const auto& [step, branch] : r.forks) {
        ASSERT_TRUE(by_name.count(branch)) << branch;
        EXPECT_EQ(by_name[branch]->trunk, r.name);
        EXPECT_EQ(by_name[branch]->fork_step, step);
      }
      continue;
    }
    // A branch: forks from the trunk of its own shape and seed at its own cooldown start.
    ++branches;
    ASSERT_TRUE(by_name.count(r.trunk)) << r.trunk;
    const PlannedRun& t = *by_name[r.trunk];
    EXPECT_EQ(t.config.model.d_model, r.config.model.d_model);
    EXPECT_EQ(t.config.model.n_layer, r.config.model.n_layer);
    EXPECT_EQ(t.config.train.seed, r.config.train.seed);
    EXPECT_LT(r.steps, t.steps);
    const LrSchedule own(r.config.train.schedule_config(r.steps));
    EXPECT_EQ(r.fork_step, own.cooldown_start()) << r.name;
    EXPECT_EQ(r.fork_step, r.steps - std::llround(0.25 * static_cast<double>(r.steps))) << r.name;
    EXPECT_TRUE(r.forks.empty());
    EXPECT_EQ(r.tokens_to_train, r.tokens - r.fork_step * kTokensPerStep) << r.name;
    // What makes the fork sound: up to the fork the branch's LR is the trunk's, step for step.
    const LrSchedule trunk_schedule(t.config.train.schedule_config(t.steps));
    for (int64_t s = 0; s < r.fork_step; ++s) ASSERT_EQ(own.lr(s), trunk_schedule.lr(s)) << r.name << " step " << s;
    saved += r.tokens - r.tokens_to_train;
  }
  EXPECT_EQ(trunks, 4);
  EXPECT_EQ(branches, 12);

  int64_t tokens = 0, to_train = 0;
  for (const PlannedRun& r : plan.runs) {
    tokens += r.tokens;
    to_train += r.tokens_to_train;
  }
  EXPECT_EQ(plan.tokens_without_reuse, tokens);
  EXPECT_EQ(plan.tokens_to_train, to_train);
  EXPECT_GT(saved, 0);
  EXPECT_EQ(plan.tokens_without_reuse - plan.tokens_to_train, saved);
  EXPECT_LT(plan.flops_to_train, plan.flops_without_reuse);
}

TEST(Planner, WithoutReuseNoTrunksOrForks) {
  std::string text = spec_text(kWsd);
  text.replace(text.find("reuse = true"), 12, "reuse = false");
  const Plan plan = plan_of(text);
  ASSERT_EQ(plan.runs.size(), 9u);
  for (const PlannedRun& r : plan.runs) {
    EXPECT_TRUE(r.trunk.empty()) << r.name;
    EXPECT_EQ(r.fork_step, 0) << r.name;
    EXPECT_TRUE(r.forks.empty()) << r.name;
    EXPECT_EQ(r.tokens_to_train, r.tokens) << r.name;
    EXPECT_EQ(r.config.train.schedule, "cosine") << r.name;  // the trainer's default stays
  }
  EXPECT_EQ(plan.tokens_to_train, plan.tokens_without_reuse);
}

TEST(Planner, ImpossibleBudgetsNameTheirField) {
  // Fewer tokens than one batch (256).
  std::string msg = plan_error(spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [100]\n"));
  EXPECT_TRUE(contains(msg, "budgets.tokens")) << msg;
  EXPECT_TRUE(contains(msg, "plan.toml")) << msg;
  EXPECT_TRUE(contains(msg, "one batch")) << msg;
  msg = plan_error(spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens_per_param = [0.01]\n"));
  EXPECT_TRUE(contains(msg, "budgets.tokens_per_param")) << msg;
  msg = plan_error(spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n"
                             "[[heldout]]\nshape = [1, 32, 2]\ntokens = 255\n"));
  EXPECT_TRUE(contains(msg, "heldout.tokens")) << msg;
  msg = plan_error(spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n[isoflop]\nflops = [1e3]\n"));
  EXPECT_TRUE(contains(msg, "isoflop.flops")) << msg;
  // Exactly one batch is possible.
  EXPECT_EQ(plan_of(spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [256]\n")).runs.at(0).steps, 1);
}

TEST(Planner, BadRunSectionsAreInputErrors) {
  std::string msg = plan_error(spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n") +
                               "[optimizer]\n");  // caught by the spec parser
  EXPECT_TRUE(contains(msg, "optimizer")) << msg;
  std::string text = spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n");
  text.replace(text.find("seq_len = 32"), 12, "seq_len = 32\nwidth = 3");
  msg = plan_error(text);
  EXPECT_TRUE(contains(msg, "model.width")) << msg;
  EXPECT_TRUE(contains(msg, "plan.toml")) << msg;
  text = spec_text("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n");
  text.replace(text.find("train_sample.txt"), 16, "no_such_corpus.txt");
  msg = plan_error(text);
  EXPECT_TRUE(contains(msg, "no_such_corpus.txt")) << msg;
}

TEST(Planner, WarnsAboutRunsThatRepeatTheData) {
  const std::string tables = "[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [16384, 262144]\n";
  const Plan quiet = plan_of(spec_text(tables));  // max_epochs 4: 262144 tokens is < 2 epochs
  ASSERT_EQ(quiet.runs.size(), 2u);
  EXPECT_TRUE(quiet.warnings.empty());
  const Plan plan = plan_of(spec_text(tables, "max_epochs = 1\n"));
  ASSERT_LT(plan.corpus_train_tokens, 262144);
  ASSERT_GT(plan.corpus_train_tokens, 16384);
  ASSERT_EQ(plan.warnings.size(), 1u);
  const PlannedRun& big = plan.runs[0].tokens == 262144 ? plan.runs[0] : plan.runs[1];
  EXPECT_EQ(big.tokens, 262144);
  EXPECT_GT(big.epochs, 1.0);
  EXPECT_TRUE(contains(plan.warnings[0], big.name)) << plan.warnings[0];
  EXPECT_TRUE(contains(plan.warnings[0], "max_epochs")) << plan.warnings[0];
}

TEST(Planner, KaplanLearningRate) {
  const Plan plan = plan_of(spec_text("[sizes]\nshapes = [[1, 16, 1], [2, 32, 2], [3, 64, 4]]\n[budgets]\ntokens = [8192]\n"
                                      "[lr]\nrule = \"kaplan\"\n"));
  ASSERT_EQ(plan.runs.size(), 3u);
  std::set<double> lrs;
  for (const PlannedRun& r : plan.runs) {
    const double n = static_cast<double>(r.params_nonembedding);
    EXPECT_DOUBLE_EQ(r.lr, 0.003239 - 0.0001395 * std::log(n)) << r.name;  // Kaplan et al. 2020, eq. D.1
    EXPECT_DOUBLE_EQ(r.config.train.lr, r.lr) << r.name;
    EXPECT_EQ(r.config.model.parameterization, "sp");
    lrs.insert(r.lr);
  }
  EXPECT_EQ(lrs.size(), 3u);  // larger models, smaller LR
  EXPECT_GT(*lrs.rbegin(), plan.runs.back().lr);
  const Plan half = plan_of(spec_text("[sizes]\nshapes = [[2, 32, 2]]\n[budgets]\ntokens = [8192]\n"
                                      "[lr]\nrule = \"kaplan\"\nscale = 0.5\n"));
  EXPECT_DOUBLE_EQ(half.runs.at(0).lr,
                   0.5 * (0.003239 - 0.0001395 * std::log(static_cast<double>(half.runs[0].params_nonembedding))));
}

TEST(Planner, MupSetsParameterizationAndBaseWidth) {
  const std::string tables = "[sizes]\nshapes = [[1, 16, 1], [2, 64, 4]]\n[budgets]\ntokens = [8192]\n"
                             "[lr]\nrule = \"mup\"\nlr = 4e-3\nbase_width = 32\n";
  const Plan plan = plan_of(spec_text(tables));
  ASSERT_EQ(plan.runs.size(), 2u);
  for (const PlannedRun& r : plan.runs) {
    EXPECT_EQ(r.config.model.parameterization, "mup") << r.name;
    EXPECT_EQ(r.config.model.mup_base_width, 32) << r.name;
    EXPECT_DOUBLE_EQ(r.lr, 4e-3) << r.name;
    EXPECT_DOUBLE_EQ(r.config.train.lr, 4e-3) << r.name;
  }
  std::string text = spec_text(tables);
  text.replace(text.find("seq_len = 32"), 12, "seq_len = 32\nparameterization = \"sp\"");
  const std::string msg = plan_error(text);
  EXPECT_TRUE(contains(msg, "parameterization")) << msg;
}

TEST(Planner, WsdReuseNeedsTheWsdSchedule) {
  std::string text = spec_text(kWsd);
  text.replace(text.find("warmup_steps = 5"), 16, "warmup_steps = 5\nschedule = \"cosine\"");
  std::string msg = plan_error(text);
  EXPECT_TRUE(contains(msg, "wsd.reuse")) << msg;
  EXPECT_TRUE(contains(msg, "train.schedule")) << msg;
  text = spec_text(kWsd);
  text.replace(text.find("warmup_steps = 5"), 16, "warmup_steps = 5\nwsd_cooldown_fraction = 0.3");
  msg = plan_error(text);
  EXPECT_TRUE(contains(msg, "wsd_cooldown_fraction")) << msg;
  text = spec_text(kWsd);
  text.replace(text.find("warmup_steps = 5"), 16, "warmup_steps = 5\nschedule = \"wsd\"");
  EXPECT_EQ(plan_of(text).runs.size(), 9u);  // saying "wsd" explicitly is fine
}

TEST(Planner, ConfigHashIgnoresThreadsButNotTheLr) {
  const Plan plan = plan_of(spec_text(kLadder));
  RunConfig a = plan.runs.at(0).config;
  const std::string h = config_hash(a);
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
  RunConfig b = a;
  b.train.threads = 7;
  EXPECT_EQ(config_hash(b), h);
  b.train.lr = a.train.lr * 1.5;
  EXPECT_NE(config_hash(b), h);
  RunConfig c = a;
  c.train.steps += 1;
  EXPECT_NE(config_hash(c), h);
  std::set<std::string> hashes;
  for (const PlannedRun& r : plan.runs) hashes.insert(config_hash(r.config));
  EXPECT_EQ(hashes.size(), plan.runs.size());  // every run differs in shape, steps or kind
}

TEST(Planner, ConfigHashKeepsStoresFromBeforeThePrecisionKey) {
  // Stores written before train.precision existed hashed configs without it: "auto" (the
  // default) must hash as if the key were absent, and any explicit precision must not.
  const RunConfig a = plan_of(spec_text(kLadder)).runs.at(0).config;
  Json j = a.to_json();
  j["train"].erase("threads");
  j["train"].erase("precision");
  EXPECT_EQ(config_hash(a), fnv1a64_hex(j.dump()));
  RunConfig b = a;
  b.train.precision = "fp32";
  EXPECT_NE(config_hash(b), config_hash(a));
}

TEST(Planner, RunConfigTomlLoadsBackToTheSameConfig) {
  // Kaplan LRs have many digits: the TOML must carry every bit.
  std::string text = spec_text(kWsd);
  text += "[lr]\nrule = \"kaplan\"\n";
  const Plan plan = plan_of(text);
  ScratchDir dir;
  int i = 0;
  for (const PlannedRun& r : plan.runs) {
    RunConfig rc = r.config;
    rc.train.threads = r.threads;
    const auto path = dir / ("run" + std::to_string(i++) + ".toml");
    std::ofstream(path) << run_config_toml(rc);
    const RunConfig back = load_run_config(path.string(), {});
    EXPECT_EQ(back.to_json(), rc.to_json()) << r.name << "\n" << run_config_toml(rc);
    EXPECT_EQ(config_hash(back), config_hash(r.config)) << r.name;
  }
}

}  // namespace
}  // namespace scalelab::sweep
