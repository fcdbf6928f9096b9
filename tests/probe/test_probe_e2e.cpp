// `scalelab probe KIND SPEC` end to end, one tiny ladder per kind (icl, ngram, ensemble,
// emergence): the binary trains the runs with snapshots, scores them, saves the probe's
// JSON in the run store (every figure with a sentence and data), writes the report with
// its "Scaling hypothesis" section and prints the findings. Plus the command's bad input
// (issue 2's contract: exit 2, one stderr line naming the field) and --print-spec.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "../cli/cli_testing.h"
#include "../core/core_testing.h"
#include "core/json.h"
#include "probe/probe_spec.h"
#include "sweep/run_store.h"
#include "sweep/spec.h"

namespace scalelab::probe {
namespace {

using cli_testing::CliResult;
using cli_testing::quote;
using cli_testing::run_scalelab;
using core_testing::ScratchDir;

std::string corpus_path() { return std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt"; }

// A two-size text ladder of tiny shapes on the committed corpus.
std::string text_spec(const std::string& name, const std::string& probe) {
  return "[experiment]\nname = \"" + name + "\"\nseeds = [1337]\n"
         "[data]\npath = \"" + corpus_path() + "\"\nval_max_tokens = 2048\n"
         "[model]\nseq_len = 64\n"
         "[train]\nbatch_size = 8\nwarmup_steps = 5\neval_every = 100\nlog_every = 50\n"
         "[lr]\nrule = \"fixed\"\nlr = 3e-3\n"
         "[sizes]\nshapes = [[1, 8, 1], [1, 16, 2]]\n"
         "[budgets]\ntokens = [1e5]\n" + probe;
}

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

// Runs the probe on `spec_text` and checks every output; returns the stored probe JSON.
Json run_probe(const std::string& kind, const std::string& name, const std::string& spec_text) {
  ScratchDir dir;
  const auto spec = dir / "spec.toml";
  write(spec, spec_text);
  const auto store_path = dir / "store.sqlite";
  const CliResult r = run_scalelab(dir.path(), "probe " + kind + " " + quote(spec.string()) + " --store " +
                                                   quote(store_path.string()) + " --workers 1 --threads 1");
  EXPECT_EQ(r.code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
  if (r.code != 0) return Json();

  std::optional<Json> result;
  {
    sweep::RunStore store(store_path);
    const sweep::ExperimentRecord exp = store.experiment(name);
    EXPECT_EQ(exp.failed, 0) << kind;
    EXPECT_GT(exp.done, 0) << kind;
    result = store.probe_result(exp.id, kind);
  }
  EXPECT_TRUE(result.has_value()) << kind;
  if (!result) return Json();
  const Json& j = *result;
  EXPECT_TRUE(j.contains("figures") && j["figures"].is_array() && !j["figures"].empty()) << kind;
  for (const Json& f : j.value("figures", Json::array())) {
    const std::string id = f.value("id", std::string("?"));
    EXPECT_TRUE(f.contains("sentence") && f["sentence"].is_string() && !f["sentence"].get<std::string>().empty())
        << kind << " figure " << id;
    EXPECT_TRUE(f.contains("series") && f["series"].is_array() && !f["series"].empty()) << kind << " figure " << id;
  }
  EXPECT_TRUE(j.contains("findings") && j["findings"].is_array() && !j["findings"].empty()) << kind;
  // stdout lists every finding.
  EXPECT_NE(r.out.find("What the " + kind + " probe found:"), std::string::npos) << r.out;
  for (const Json& s : j.value("findings", Json::array()))
    EXPECT_NE(r.out.find(s.get<std::string>()), std::string::npos) << kind << ": " << s;

  const auto report = dir / ("report-" + name + ".html");
  EXPECT_TRUE(std::filesystem::exists(report)) << report;
  EXPECT_NE(cli_testing::slurp(report).find("Scaling hypothesis"), std::string::npos);
  // Snapshots were kept for the runs (snapshots = 2 per run).
  if (kind != "ensemble") {
    int snapshot_files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "runs" / name))
      if (e.path().parent_path().filename() == "snapshots") ++snapshot_files;
    EXPECT_EQ(snapshot_files, 2 * 2) << kind;
  }
  return j;
}

TEST(ProbeE2e, Icl) {
  const Json j = run_probe("icl", "e2e-icl",
                           text_spec("e2e-icl", "[probe]\nkind = \"icl\"\nsnapshots = 2\neval_windows = 8\n"
                                                "induction_sequences = 8\n"));
  if (j.is_null()) return;  // the failure is reported above
  EXPECT_EQ(j["summary"]["seq_len"], 64);
}

TEST(ProbeE2e, Ngram) {
  run_probe("ngram", "e2e-ngram",
            text_spec("e2e-ngram", "[probe]\nkind = \"ngram\"\nsnapshots = 2\neval_windows = 8\nmax_order = 3\n"));
}

TEST(ProbeE2e, Ensemble) {
  // Full sizes of ~6e3 and ~2e4 non-embedding parameters, each against an ensemble of two.
  const std::string spec = "[experiment]\nname = \"e2e-ensemble\"\nseeds = [1, 2]\n"
                           "[data]\npath = \"" + corpus_path() + "\"\nval_max_tokens = 2048\n"
                           "[model]\nseq_len = 64\n"
                           "[train]\nbatch_size = 8\nwarmup_steps = 5\neval_every = 100\nlog_every = 50\n"
                           "[lr]\nrule = \"fixed\"\nlr = 3e-3\n"
                           "[family]\naspect_ratio = 8\nhead_size = 8\n"
                           "[sizes]\nparams = [6e3, 2e4]\n"
                           "[budgets]\ntokens = [5e4]\n"
                           "[probe]\nkind = \"ensemble\"\nk = [1, 2]\neval_windows = 8\n";
  run_probe("ensemble", "e2e-ensemble", spec);
}

TEST(ProbeE2e, Emergence) {
  const std::string spec = "[experiment]\nname = \"e2e-emergence\"\nseeds = [1337]\n"
                           "[data]\ntask = \"addition\"\ntask_fraction = 1.0\ntask_tokens = 200000\n"
                           "task_digits = 2\nval_max_tokens = 2048\n"
                           "[model]\nseq_len = 64\n"
                           "[train]\nbatch_size = 8\nwarmup_steps = 5\neval_every = 100\nlog_every = 50\n"
                           "[lr]\nrule = \"fixed\"\nlr = 3e-3\n"
                           "[sizes]\nshapes = [[1, 8, 1], [1, 16, 2]]\n"
                           "[budgets]\ntokens = [1e5]\n"
                           "[probe]\nkind = \"emergence\"\nsnapshots = 2\nexamples = 50\n";
  run_probe("emergence", "e2e-emergence", spec);
}

TEST(ProbeE2e, UnknownKindExitsTwo) {
  ScratchDir dir;
  const CliResult r = run_scalelab(dir.path(), "probe grokking --store " + quote((dir / "s.sqlite").string()));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("grokking"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "s.sqlite"));
}

TEST(ProbeE2e, SpecOfAnotherKindIsRefused) {
  ScratchDir dir;
  const auto spec = dir / "spec.toml";
  write(spec, text_spec("e2e-wrong", "[probe]\nkind = \"icl\"\n"));
  const CliResult r = run_scalelab(dir.path(), "probe ngram " + quote(spec.string()) + " --store " +
                                                   quote((dir / "s.sqlite").string()) + " --workers 1 --threads 1");
  cli_testing::expect_input_error(r, {"probe.kind", "spec.toml"});
  EXPECT_FALSE(std::filesystem::exists(dir / "runs"));  // refused before training anything
}

TEST(ProbeE2e, PrintSpecParsesForEveryKind) {
  ScratchDir dir;
  for (const std::string& kind : probe_kinds()) {
    const CliResult r = run_scalelab(dir.path(), "probe " + kind + " --print-spec");
    ASSERT_EQ(r.code, 0) << kind << ": " << r.err;
    EXPECT_EQ(r.out, default_probe_spec_text(kind));
    const sweep::ExperimentSpec spec = sweep::parse_spec(r.out, kind + ".toml");
    EXPECT_EQ(parse_probe_options(spec, kind).kind, kind);
  }
}

}  // namespace
}  // namespace scalelab::probe
