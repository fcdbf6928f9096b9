// The probe spec (probe/probe_spec.h): the strict [probe] table (defaults, unknown keys
// and bad ranges named by file, line and key, a kind that differs from the command's),
// every kind's embedded default spec parsing, the snapshot assignment, and the ensemble
// expansion: members of about N/k non-embedding parameters trained with the first k seeds,
// which the sweep spec then carries as [[runs]] with their seeds.
#include "probe/probe_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "../core/core_testing.h"
#include "model/accounting.h"
#include "model/model_config.h"
#include "sweep/spec.h"

namespace scalelab::probe {
namespace {

using core_testing::input_error_message;

// A minimal valid ladder; `probe` is appended verbatim (line 9 onwards).
std::string ladder(const std::string& probe) {
  return "[experiment]\n"            // 1
         "name = \"t\"\n"            // 2
         "seeds = [1, 2, 3, 4]\n"    // 3
         "[model]\n"                 // 4
         "seq_len = 32\n"            // 5
         "[sizes]\n"                 // 6
         "shapes = [[1, 8, 1]]\n"    // 7
         "[budgets]\ntokens = [1e5]\n" +  // 8, 9
         probe;
}

ProbeOptions options_of(const std::string& text, const std::string& kind) {
  return parse_probe_options(sweep::parse_spec(text, "p.toml"), kind);
}

TEST(ProbeOptions, WithoutProbeTableGetsTheKindsDefaults) {
  const ProbeOptions icl = options_of(ladder(""), "icl");
  EXPECT_EQ(icl.kind, "icl");
  EXPECT_EQ(icl.snapshots, 6);
  EXPECT_EQ(icl.eval_windows, 64);
  EXPECT_EQ(icl.max_order, 5);
  EXPECT_EQ(icl.k, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(options_of(ladder(""), "ensemble").snapshots, 0);  // ensembles score final models only
  EXPECT_EQ(options_of(ladder(""), "emergence").examples, 400);
}

TEST(ProbeOptions, ReadsEveryKey) {
  const ProbeOptions o = options_of(ladder("[probe]\nkind = \"ensemble\"\nsnapshots = 2\nexamples = 50\n"
                                           "eval_windows = 8\ninduction_sequences = 8\nmax_order = 3\n"
                                           "k = [4, 1, 2, 2]\nseed = 9\n"),
                                    "ensemble");
  EXPECT_EQ(o.kind, "ensemble");
  EXPECT_EQ(o.snapshots, 2);
  EXPECT_EQ(o.examples, 50);
  EXPECT_EQ(o.eval_windows, 8);
  EXPECT_EQ(o.induction_sequences, 8);
  EXPECT_EQ(o.max_order, 3);
  EXPECT_EQ(o.k, (std::vector<int64_t>{1, 2, 4}));  // sorted, duplicates dropped
  EXPECT_EQ(o.seed, 9);
  // kind may be left out: the command names it.
  EXPECT_EQ(options_of(ladder("[probe]\nsnapshots = 3\n"), "ngram").snapshots, 3);
}

TEST(ProbeOptions, UnknownKeyNamesFileLineAndKey) {
  const std::string msg = input_error_message([] { options_of(ladder("[probe]\nkind = \"icl\"\nwindows = 8\n"), "icl"); });
  EXPECT_NE(msg.find("p.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find(":12:"), std::string::npos) << msg;  // [probe] is line 10, windows line 12
  EXPECT_NE(msg.find("probe.windows"), std::string::npos) << msg;
}

TEST(ProbeOptions, KindThatDiffersFromTheCommandIsRefused) {
  const std::string msg = input_error_message([] { options_of(ladder("[probe]\nkind = \"icl\"\n"), "ngram"); });
  EXPECT_NE(msg.find("probe.kind"), std::string::npos) << msg;
  EXPECT_NE(msg.find("p.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("icl"), std::string::npos) << msg;
  // A kind that is not a string is refused too.
  EXPECT_NE(input_error_message([] { options_of(ladder("[probe]\nkind = 3\n"), "icl"); }).find("probe.kind"),
            std::string::npos);
}

TEST(ProbeOptions, OutOfRangeValuesNameTheKey) {
  struct Case { std::string line, key, kind; };
  const std::vector<Case> cases = {
      {"snapshots = 21", "probe.snapshots", "icl"},    {"snapshots = -1", "probe.snapshots", "icl"},
      {"examples = 0", "probe.examples", "emergence"}, {"eval_windows = 0", "probe.eval_windows", "icl"},
      {"max_order = 7", "probe.max_order", "ngram"},   {"max_order = 0", "probe.max_order", "ngram"},
      {"induction_sequences = 0", "probe.induction_sequences", "icl"},
      {"snapshots = 2.5", "probe.snapshots", "icl"},   {"k = [0, 1]", "probe.k", "ensemble"},
      {"k = [1, 17]", "probe.k", "ensemble"},          {"k = []", "probe.k", "ensemble"},
      {"k = [2, 4]", "probe.k", "ensemble"},  // the ensemble probe needs k = 1 to compare with
      {"seed = -3", "probe.seed", "icl"},
  };
  for (const Case& c : cases) {
    const std::string msg = input_error_message([&] { options_of(ladder("[probe]\n" + c.line + "\n"), c.kind); });
    EXPECT_NE(msg.find(c.key), std::string::npos) << c.line << ": " << msg;
    EXPECT_NE(msg.find("p.toml"), std::string::npos) << c.line << ": " << msg;
  }
}

TEST(ProbeSpec, EveryDefaultSpecParsesAndIsAccepted) {
  ASSERT_EQ(probe_kinds(), (std::vector<std::string>{"emergence", "icl", "ngram", "ensemble"}));
  for (const std::string& kind : probe_kinds()) {
    const sweep::ExperimentSpec spec = sweep::parse_spec(default_probe_spec_text(kind), "<probe " + kind + ">");
    EXPECT_TRUE(spec.has_probe) << kind;
    EXPECT_EQ(spec.name, "probe-" + kind);
    const ProbeOptions o = parse_probe_options(spec, kind);
    EXPECT_EQ(o.kind, kind);
    // A default spec is for its own kind only.
    for (const std::string& other : probe_kinds()) {
      if (other == kind) continue;
      EXPECT_FALSE(input_error_message([&] { parse_probe_options(spec, other); }).empty()) << kind << " as " << other;
    }
  }
  EXPECT_EQ(parse_probe_options(sweep::parse_spec(default_probe_spec_text("ensemble"), "e"), "ensemble").snapshots, 0);
}

TEST(ProbeSpec, UnknownKindIsAnInputError) {
  EXPECT_NE(input_error_message([] { default_probe_spec_text("grokking"); }).find("grokking"), std::string::npos);
  EXPECT_NE(input_error_message([] { options_of(ladder(""), "grokking"); }).find("grokking"), std::string::npos);
}

TEST(ProbeSpec, SnapshotSetAssignsTrainSnapshots) {
  ProbeOptions o;
  o.snapshots = 3;
  EXPECT_EQ(snapshot_set(o), "train.snapshots=3");
  o.snapshots = 0;
  EXPECT_EQ(snapshot_set(o), "train.snapshots=0");
}

int64_t nonembedding(const sweep::Shape& s) {
  ModelConfig cfg;
  cfg.n_layer = s[0];
  cfg.d_model = s[1];
  cfg.n_head = s[2];
  cfg.seq_len = 128;
  return count_params(cfg).nonembedding;
}

const char* kEnsembleLadder = R"([experiment]
name = "ens"
seeds = [5, 6, 7, 8, 9]
[model]
seq_len = 128
[family]
aspect_ratio = 8
head_size = 8
[sizes]
params = [1.6e5, 4e4]
[budgets]
tokens = [2e6]
[probe]
kind = "ensemble"
k = [4, 1, 2]
)";

TEST(EnsembleDesign, MembersOfAboutNOverKWithTheFirstKSeeds) {
  const sweep::ExperimentSpec spec = sweep::parse_spec(kEnsembleLadder, "ens.toml");
  const ProbeOptions o = parse_probe_options(spec, "ensemble");
  const std::vector<EnsembleDesign> d = ensemble_design(spec, o);
  ASSERT_EQ(d.size(), 6u);
  const std::vector<double> Ns = {4e4, 4e4, 4e4, 1.6e5, 1.6e5, 1.6e5};  // N ascending
  const std::vector<int64_t> ks = {1, 2, 4, 1, 2, 4};                  // then k ascending
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d[i].N, Ns[i]) << i;
    EXPECT_EQ(d[i].k, ks[i]) << i;
    EXPECT_EQ(d[i].seeds, std::vector<int64_t>(spec.seeds.begin(), spec.seeds.begin() + ks[i])) << i;
    EXPECT_EQ(d[i].shape[1] % 8, 0) << i;               // whole heads of head_size 8
    EXPECT_EQ(d[i].shape[1] / d[i].shape[2], 8) << i;
    const double ratio = static_cast<double>(nonembedding(d[i].shape)) / (d[i].N / static_cast<double>(d[i].k));
    EXPECT_GT(ratio, 0.5) << i << ": " << nonembedding(d[i].shape);
    EXPECT_LT(ratio, 2.0) << i << ": " << nonembedding(d[i].shape);
  }
  for (size_t base : {0u, 3u}) {
    // Same depth, smaller width and fewer parameters as k grows; k members together
    // hold about the parameters of the single model.
    const int64_t full = nonembedding(d[base].shape);
    for (size_t j = 1; j < 3; ++j) {
      EXPECT_EQ(d[base + j].shape[0], d[base].shape[0]);
      EXPECT_LT(d[base + j].shape[1], d[base + j - 1].shape[1]);
      const double together = static_cast<double>(d[base + j].k * nonembedding(d[base + j].shape));
      EXPECT_GT(together / full, 0.7) << base + j;
      EXPECT_LT(together / full, 1.5) << base + j;
    }
  }
}

TEST(EnsembleDesign, NeedsParamsSizesAndOneTokenBudget) {
  const sweep::ExperimentSpec shapes = sweep::parse_spec(ladder(""), "shapes.toml");
  EXPECT_NE(input_error_message([&] { ensemble_design(shapes, ProbeOptions{}); }).find("shapes.toml"), std::string::npos);
  std::string two_budgets = kEnsembleLadder;
  two_budgets.replace(two_budgets.find("tokens = [2e6]"), 14, "tokens = [2e6, 4e6]");
  const sweep::ExperimentSpec spec = sweep::parse_spec(two_budgets, "two.toml");
  const std::string msg = input_error_message([&] { ensemble_design(spec, parse_probe_options(spec, "ensemble")); });
  EXPECT_NE(msg.find("budgets.tokens"), std::string::npos) << msg;
}

TEST(ProbeSweepSpec, EnsembleRunsCarryTheirSeeds) {
  const sweep::ExperimentSpec spec = sweep::parse_spec(kEnsembleLadder, "ens.toml");
  const ProbeOptions o = parse_probe_options(spec, "ensemble");
  const std::vector<EnsembleDesign> d = ensemble_design(spec, o);
  const sweep::ExperimentSpec out = probe_sweep_spec(spec, o);
  EXPECT_TRUE(out.size_params.empty());
  EXPECT_TRUE(out.tokens.empty());
  EXPECT_EQ(out.seeds, (std::vector<int64_t>{5, 6, 7, 8}));  // the seeds some member uses
  ASSERT_EQ(out.extra_runs.size(), d.size());
  size_t runs = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    ASSERT_TRUE(out.extra_runs[i].shape.has_value());
    EXPECT_EQ(*out.extra_runs[i].shape, d[i].shape);
    EXPECT_EQ(out.extra_runs[i].tokens, 2e6);
    EXPECT_EQ(out.extra_runs[i].seeds, d[i].seeds);
    runs += d[i].seeds.size();
  }
  EXPECT_EQ(runs, 2u * (1 + 2 + 4));  // each ensemble trains k members
}

TEST(ProbeSweepSpec, OtherKindsTrainTheSpecUnchanged) {
  for (const std::string kind : {"icl", "ngram", "emergence"}) {
    const sweep::ExperimentSpec spec = sweep::parse_spec(default_probe_spec_text(kind), kind);
    const sweep::ExperimentSpec out = probe_sweep_spec(spec, parse_probe_options(spec, kind));
    EXPECT_EQ(out.text, spec.text);
    EXPECT_EQ(out.size_shapes, spec.size_shapes) << kind;
    EXPECT_EQ(out.size_params, spec.size_params) << kind;
    EXPECT_EQ(out.tokens, spec.tokens) << kind;
    EXPECT_EQ(out.seeds, spec.seeds) << kind;
    EXPECT_EQ(out.extra_runs.size(), spec.extra_runs.size()) << kind;
  }
}

TEST(ProbeSweepSpec, RunSeedOutsideExperimentSeedsIsRefused) {
  const std::string text = ladder("[[runs]]\nshape = [1, 8, 1]\ntokens = 1e5\nseeds = [1, 99]\n");
  const std::string msg = input_error_message([&] { sweep::parse_spec(text, "runs.toml"); });
  EXPECT_NE(msg.find("runs.seeds"), std::string::npos) << msg;
  EXPECT_NE(msg.find("99"), std::string::npos) << msg;
  // Seeds that are in experiment.seeds are accepted and kept.
  const sweep::ExperimentSpec ok =
      sweep::parse_spec(ladder("[[runs]]\nshape = [1, 8, 1]\ntokens = 1e5\nseeds = [2, 4]\n"), "runs.toml");
  ASSERT_EQ(ok.extra_runs.size(), 1u);
  EXPECT_EQ(ok.extra_runs[0].seeds, (std::vector<int64_t>{2, 4}));
}

}  // namespace
}  // namespace scalelab::probe
