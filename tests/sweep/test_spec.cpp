// Tests of the experiment spec parser (sweep/spec.h): a spec that sets every field reads
// back field for field, and every kind of bad input is an InputError naming the spec
// file, the dotted key and, where the key is in the text, its line.
#include "sweep/spec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "../core/core_testing.h"

namespace scalelab::sweep {
namespace {

using core_testing::input_error_message;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The smallest valid spec, with `extra` appended (TOML tables may come in any order).
std::string minimal(const std::string& extra = "") {
  return "[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n" + extra;
}

// The message of the InputError parsing `text` (as "spec.toml") throws; "" and a test
// failure when it throws none.
std::string spec_error(const std::string& text) {
  return input_error_message([&] { parse_spec(text, "spec.toml"); });
}

// An error must name the file and the key, and, with `line` > 0, the line as file:line.
void expect_error(const std::string& text, const std::string& key, int line, const std::string& what = "") {
  const std::string msg = spec_error(text);
  EXPECT_TRUE(contains(msg, "spec.toml")) << msg;
  EXPECT_TRUE(contains(msg, key)) << "lacks '" << key << "': " << msg;
  if (line > 0) {
    EXPECT_TRUE(contains(msg, "spec.toml:" + std::to_string(line) + ":")) << "lacks line " << line << ": " << msg;
  }
  if (!what.empty()) {
    EXPECT_TRUE(contains(msg, what)) << "lacks '" << what << "': " << msg;
  }
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
}

TEST(Spec, EveryFieldReadsBack) {
  const std::string text = R"([experiment]
name = "ladder-1"
description = "Chinchilla-style ladder"
seeds = [7, 11]
max_epochs = 2.5
[data]
path = "/corpora/brown.txt"
val_max_tokens = 4096
[model]
seq_len = 64
[train]
batch_size = 8
warmup_steps = 5
[family]
aspect_ratio = 24
head_size = 8
[sizes]
params = [2e4, 50000]
shapes = [[2, 64, 4], [1, 32, 2]]
[budgets]
tokens_per_param = [5, 10.5]
tokens = [1e6]
[isoflop]
flops = [1e12, 4e12]
params = [1e4, 3e4]
[lr]
rule = "kaplan"
lr = 3e-3
scale = 0.5
base_width = 48
[wsd]
reuse = true
cooldown_fraction = 0.25
[[heldout]]
params = 1e6
tokens = 8e6
[[heldout]]
shape = [3, 96, 6]
tokens_per_param = 4
)";
  const ExperimentSpec s = parse_spec(text, "ladder.toml");
  EXPECT_EQ(s.source, "ladder.toml");
  EXPECT_EQ(s.text, text);
  EXPECT_EQ(s.name, "ladder-1");
  EXPECT_EQ(s.description, "Chinchilla-style ladder");
  EXPECT_EQ(s.seeds, (std::vector<int64_t>{7, 11}));
  EXPECT_DOUBLE_EQ(s.max_epochs, 2.5);
  EXPECT_DOUBLE_EQ(s.family.aspect_ratio, 24.0);
  EXPECT_EQ(s.family.head_size, 8);
  EXPECT_EQ(s.size_params, (std::vector<double>{2e4, 5e4}));
  ASSERT_EQ(s.size_shapes.size(), 2u);
  EXPECT_EQ(s.size_shapes[0], (Shape{2, 64, 4}));
  EXPECT_EQ(s.size_shapes[1], (Shape{1, 32, 2}));
  EXPECT_EQ(s.tokens_per_param, (std::vector<double>{5, 10.5}));
  EXPECT_EQ(s.tokens, (std::vector<double>{1e6}));
  EXPECT_EQ(s.isoflop_flops, (std::vector<double>{1e12, 4e12}));
  EXPECT_EQ(s.isoflop_params, (std::vector<double>{1e4, 3e4}));
  EXPECT_EQ(s.lr.rule, "kaplan");
  EXPECT_DOUBLE_EQ(s.lr.lr, 3e-3);
  EXPECT_DOUBLE_EQ(s.lr.scale, 0.5);
  EXPECT_EQ(s.lr.base_width, 48);
  EXPECT_TRUE(s.wsd_reuse);
  EXPECT_DOUBLE_EQ(s.wsd_cooldown_fraction, 0.25);
  ASSERT_EQ(s.heldout.size(), 2u);
  EXPECT_DOUBLE_EQ(s.heldout[0].params, 1e6);
  EXPECT_FALSE(s.heldout[0].shape.has_value());
  EXPECT_DOUBLE_EQ(s.heldout[0].tokens, 8e6);
  EXPECT_DOUBLE_EQ(s.heldout[0].tokens_per_param, 0.0);
  EXPECT_DOUBLE_EQ(s.heldout[1].params, 0.0);
  ASSERT_TRUE(s.heldout[1].shape.has_value());
  EXPECT_EQ(*s.heldout[1].shape, (Shape{3, 96, 6}));
  EXPECT_DOUBLE_EQ(s.heldout[1].tokens, 0.0);
  EXPECT_DOUBLE_EQ(s.heldout[1].tokens_per_param, 4.0);

  // The run sections pass through as TOML holding exactly the spec's [data], [model], [train].
  const toml::table run = toml::parse(s.run_sections);
  EXPECT_EQ(run.size(), 3u);
  EXPECT_EQ(run["data"]["path"].value<std::string>(), "/corpora/brown.txt");
  EXPECT_EQ(run["data"]["val_max_tokens"].value<int64_t>(), 4096);
  EXPECT_EQ(run["model"]["seq_len"].value<int64_t>(), 64);
  EXPECT_EQ(run["train"]["batch_size"].value<int64_t>(), 8);
  EXPECT_EQ(run["train"]["warmup_steps"].value<int64_t>(), 5);
  EXPECT_EQ(run["data"].as_table()->size(), 2u);
  EXPECT_EQ(run["model"].as_table()->size(), 1u);
  EXPECT_EQ(run["train"].as_table()->size(), 2u);
}

TEST(Spec, DefaultsOfAMinimalSpec) {
  const ExperimentSpec s = parse_spec(minimal(), "spec.toml");
  const ExperimentSpec defaults;
  EXPECT_EQ(s.name, "ex");
  EXPECT_EQ(s.seeds, (std::vector<int64_t>{1337}));
  EXPECT_EQ(s.lr.rule, "fixed");
  EXPECT_DOUBLE_EQ(s.lr.lr, defaults.lr.lr);
  EXPECT_FALSE(s.wsd_reuse);
  EXPECT_DOUBLE_EQ(s.wsd_cooldown_fraction, 0.2);
  EXPECT_DOUBLE_EQ(s.max_epochs, defaults.max_epochs);
  EXPECT_TRUE(s.heldout.empty());
  EXPECT_TRUE(s.isoflop_flops.empty());
  // IsoFLOP alone (without [sizes]) is a valid design too.
  const ExperimentSpec iso = parse_spec("[experiment]\nname = \"iso\"\n[isoflop]\nflops = [1e12]\nparams = [1e4]\n", "s");
  EXPECT_EQ(iso.isoflop_flops, (std::vector<double>{1e12}));
}

TEST(Spec, MalformedTomlNamesFileAndLine) {
  expect_error("[experiment]\nname = \"ex\"\n[sizes\nshapes = [[1, 16, 1]]\n", "spec.toml", 3);
  expect_error("[experiment]\nname = \"ex\n", "spec.toml", 2);
  // A key given twice is malformed TOML as well.
  expect_error(minimal("[lr]\nrule = \"fixed\"\nrule = \"mup\"\n"), "spec.toml", 9);
}

TEST(Spec, UnknownTopLevelTable) {
  expect_error(minimal("[optimizer]\nlr = 1\n"), "optimizer", 7, "unknown key");
  const std::string msg = spec_error(minimal("[optimizer]\nlr = 1\n"));
  EXPECT_TRUE(contains(msg, "heldout")) << "should list the known tables: " << msg;
}

TEST(Spec, UnknownKeyInEachTable) {
  expect_error("[experiment]\nname = \"ex\"\ncolour = 1\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n",
               "experiment.colour", 3, "unknown key");
  expect_error(minimal("[family]\nhead_size = 16\nwidth = 3\n"), "family.width", 9, "unknown key");
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16, 1]]\nlayers = [2]\n[budgets]\ntokens = [8192]\n",
               "sizes.layers", 5, "unknown key");
  expect_error(minimal().substr(0, minimal().size() - 1) + "\nflops = [1e12]\n", "budgets.flops", 7, "unknown key");
  expect_error(minimal("[isoflop]\nflops = [1e12]\nsizes = [1e4]\n"), "isoflop.sizes", 9, "unknown key");
  expect_error(minimal("[lr]\nrule = \"fixed\"\npeak = 1e-3\n"), "lr.peak", 9, "unknown key");
  expect_error(minimal("[wsd]\nreuse = true\nfraction = 0.2\n"), "wsd.fraction", 9, "unknown key");
  expect_error(minimal("[[heldout]]\nparams = 1e5\ntokens = 1e6\nseed = 3\n"), "heldout.seed", 10, "unknown key");
}

TEST(Spec, WrongTypes) {
  expect_error("[experiment]\nname = \"ex\"\nmax_epochs = \"4\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n",
               "experiment.max_epochs", 3, "number");
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [\"8192\"]\n",
               "budgets.tokens", 6, "number");
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nparams = 2e4\n[budgets]\ntokens = [8192]\n", "sizes.params", 4,
               "array");
  expect_error(minimal("[family]\nhead_size = 16.0\n"), "family.head_size", 8, "integer");
  expect_error(minimal("[wsd]\nreuse = \"yes\"\n"), "wsd.reuse", 8, "true or false");
  expect_error(minimal("[lr]\nrule = 1\n"), "lr.rule", 8, "string");
  expect_error(minimal("[lr]\nlr = \"3e-3\"\n"), "lr.lr", 8, "number");
  expect_error("[experiment]\nname = 5\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n", "experiment.name", 2,
               "string");
  expect_error("[experiment]\nname = \"ex\"\nseeds = [1.5]\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n",
               "experiment.seeds", 3, "integer");
  expect_error("sizes = 3\n[experiment]\nname = \"ex\"\n", "sizes", 1, "table");
}

TEST(Spec, OutOfRangeValues) {
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [0]\n", "budgets.tokens", 6,
               "> 0");
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens_per_param = [20, -1]\n",
               "budgets.tokens_per_param", 6, "> 0");
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nparams = [-2e4]\n[budgets]\ntokens = [8192]\n", "sizes.params", 4);
  expect_error(minimal("[isoflop]\nflops = [0.0]\n"), "isoflop.flops", 8, "> 0");
  expect_error(minimal("[isoflop]\nflops = [nan]\n"), "isoflop.flops", 8, "> 0");
  expect_error(minimal("[isoflop]\nflops = [inf]\n"), "isoflop.flops", 8, "> 0");
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16, 0]]\n[budgets]\ntokens = [8192]\n", "sizes.shapes", 4);
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16]]\n[budgets]\ntokens = [8192]\n", "sizes.shapes", 4,
               "[n_layer, d_model, n_head]");
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 18, 4]]\n[budgets]\ntokens = [8192]\n", "sizes.shapes", 4,
               "multiple");
  expect_error(minimal("[lr]\nrule = \"mup\"\nbase_width = 0\n"), "lr.base_width", 9, "> 0");
  expect_error(minimal("[family]\nhead_size = -4\n"), "family.head_size", 8);
  expect_error("[experiment]\nname = \"ex\"\nseeds = []\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n",
               "experiment.seeds", 3, "at least one");
  expect_error("[experiment]\nname = \"ex\"\nmax_epochs = 0\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n",
               "experiment.max_epochs", 3);
}

TEST(Spec, CooldownFractionMustLieStrictlyBetweenZeroAndOne) {
  for (const char* f : {"0", "0.0", "1", "1.0", "1.5", "-0.1"})
    expect_error(minimal(std::string("[wsd]\nreuse = true\ncooldown_fraction = ") + f + "\n"), "wsd.cooldown_fraction", 9,
                 "(0, 1)");
  for (const char* f : {"0.01", "0.5", "0.99"}) {
    const ExperimentSpec s = parse_spec(minimal(std::string("[wsd]\ncooldown_fraction = ") + f + "\n"), "spec.toml");
    EXPECT_DOUBLE_EQ(s.wsd_cooldown_fraction, std::stod(f));
  }
}

TEST(Spec, ExperimentNameIsRequiredAndHasNoSlash) {
  expect_error("[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n", "experiment", 0, "[experiment]");
  expect_error("[experiment]\ndescription = \"no name\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n",
               "experiment.name", 0);
  expect_error("[experiment]\nname = \"\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n", "experiment.name",
               2);
  for (const char* bad : {"a/b", "a\\\\b", "two words", "../up"})
    expect_error(std::string("[experiment]\nname = \"") + bad + "\"\n[sizes]\nshapes = [[1, 16, 1]]\n[budgets]\ntokens = [8192]\n",
                 "experiment.name", 2, "slash");
}

TEST(Spec, HeldOutNeedsExactlyOneSizeAndOneBudget) {
  expect_error(minimal("[[heldout]]\nparams = 1e5\nshape = [2, 32, 2]\ntokens = 1e6\n"), "heldout", 7, "params and shape");
  expect_error(minimal("[[heldout]]\ntokens = 1e6\n"), "heldout", 7, "params and shape");
  expect_error(minimal("[[heldout]]\nparams = 1e5\ntokens = 1e6\ntokens_per_param = 20\n"), "heldout", 7,
               "tokens and tokens_per_param");
  expect_error(minimal("[[heldout]]\nparams = 1e5\n"), "heldout", 7, "tokens and tokens_per_param");
  // The second of two held-out tables is the one named.
  expect_error(minimal("[[heldout]]\nparams = 1e5\ntokens = 1e6\n[[heldout]]\nshape = [2, 32, 2]\n"), "heldout", 10);
  expect_error(minimal("[[heldout]]\nparams = 0\ntokens = 1e6\n"), "heldout.params", 8, "> 0");
  expect_error(minimal("[heldout]\nparams = 1e5\ntokens = 1e6\n"), "heldout", 7, "[[heldout]]");
}

TEST(Spec, UnknownLrRule) {
  expect_error(minimal("[lr]\nrule = \"cosine\"\n"), "lr.rule", 8, "\"kaplan\"");
  for (const char* rule : {"fixed", "kaplan", "mup"})
    EXPECT_EQ(parse_spec(minimal(std::string("[lr]\nrule = \"") + rule + "\"\n"), "s").lr.rule, rule);
}

TEST(Spec, PlannerOwnedRunKeysAreRefused) {
  for (const char* key : {"n_layer", "d_model", "n_head"})
    expect_error(minimal(std::string("[model]\nseq_len = 32\n") + key + " = 2\n"), std::string("model.") + key, 9,
                 "planner");
  for (const char* key : {"lr", "steps", "tokens", "seed"})
    expect_error(minimal(std::string("[train]\n") + key + " = 1\n"), std::string("train.") + key, 8, "planner");
}

TEST(Spec, SizesAndBudgetsComeTogether) {
  expect_error("[experiment]\nname = \"ex\"\n[sizes]\nshapes = [[1, 16, 1]]\n", "budgets", 0, "[sizes]");
  expect_error("[experiment]\nname = \"ex\"\n[budgets]\ntokens = [8192]\n", "sizes", 0, "[budgets]");
  expect_error("[experiment]\nname = \"ex\"\n", "sizes", 0, "plans no run");
  expect_error("[experiment]\nname = \"ex\"\n[isoflop]\nflops = [1e12]\n", "isoflop.params", 0);
  expect_error("[experiment]\nname = \"ex\"\n[isoflop]\nparams = [1e4]\n", "isoflop.flops", 3);  // the table's line
}

TEST(Spec, LoadSpecNamesAnUnreadableFile) {
  core_testing::ScratchDir dir;
  const std::string path = (dir / "absent.toml").string();
  const std::string msg = input_error_message([&] { load_spec(path); });
  EXPECT_TRUE(contains(msg, path)) << msg;
}

}  // namespace
}  // namespace scalelab::sweep
