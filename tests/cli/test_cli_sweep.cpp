// `scalelab plan | sweep | runs | show | export | report` through the built binary: every
// bad input of issue 4 (malformed spec, unknown key, impossible budget, a store from a
// newer schema, a store in a read-only directory, a missing store, an unknown experiment
// or run) exits 2 with one stderr line naming the file or field and writes nothing; and
// a tiny sweep trains, lists, shows its held-out forecast, exports for `scalelab fit`
// and reports.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../sweep/sweep_testing.h"
#include "cli_testing.h"
#include "core/json.h"

namespace scalelab {
namespace {

namespace fs = std::filesystem;
using cli_testing::CliResult;
using cli_testing::expect_input_error;
using cli_testing::quote;
using sweep_testing::ScratchDir;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The tiny ladder: 3 sizes x 2 budgets as WSD trunks and branches (6 points, one more
// than the Chinchilla law's 5 parameters, so the held-out forecast can be made), and a
// held-out run with 4x the compute of the largest other run. About 3 s on 2 threads.
const char* kTiny = R"([experiment]
name = "tiny"
[data]
path = "@CORPUS@"
val_max_tokens = 2048
[model]
seq_len = 32
[train]
batch_size = 8
warmup_steps = 5
eval_every = 16
log_every = 8
[sizes]
shapes = [[1, 16, 1], [1, 32, 2], [2, 32, 2]]
[budgets]
tokens = [8192, 16384]
[wsd]
reuse = true
[[heldout]]
shape = [2, 48, 3]
tokens = 32768
)";

std::string tiny_spec(const std::string& extra = "") {
  std::string s = kTiny;
  s.replace(s.find("@CORPUS@"), 8, SCALELAB_SOURCE_DIR "/tests/data/corpus/train_sample.txt");
  return s + extra;
}

std::string write(const ScratchDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

CliResult scalelab(const ScratchDir& dir, const std::string& args) { return cli_testing::run_scalelab(dir.path(), args); }

const std::string kFast = " --workers 1 --threads 1 --no-probe";

// `sweep SPEC` into dir/store/s.sqlite must fail with the fragments and leave no store
// directory (so neither a store file nor a runs directory); `plan SPEC` fails the same way.
void expect_sweep_refused(const ScratchDir& dir, const std::string& spec_path, std::initializer_list<std::string> parts) {
  const fs::path store = dir / "store/s.sqlite";
  CliResult r = scalelab(dir, "sweep " + quote(spec_path) + " --store " + quote(store.string()) + kFast);
  expect_input_error(r, parts, "sweep " + spec_path);
  EXPECT_FALSE(fs::exists(dir / "store")) << "sweep of " << spec_path << " left " << (dir / "store");
  fs::remove_all(dir / "store");
  r = scalelab(dir, "plan " + quote(spec_path) + kFast);
  expect_input_error(r, parts, "plan " + spec_path);
}

TEST(SweepCli, MalformedSpec) {
  ScratchDir dir;
  std::string text = tiny_spec();
  text.replace(text.find("[sizes]"), 7, "[sizes");  // line 13
  expect_sweep_refused(dir, write(dir, "malformed.toml", text), {"malformed.toml:13"});
  expect_sweep_refused(dir, (dir / "absent.toml").string(), {"absent.toml"});
}

TEST(SweepCli, UnknownKeys) {
  ScratchDir dir;
  expect_sweep_refused(dir, write(dir, "lr.toml", tiny_spec("[lr]\npeak = 1e-3\n")), {"lr.toml:23", "lr.peak"});
  expect_sweep_refused(dir, write(dir, "table.toml", tiny_spec("[optimizer]\n")), {"table.toml", "optimizer"});
  // [model] keys are the run config's, checked when the planner applies them.
  std::string text = tiny_spec();
  text.replace(text.find("seq_len = 32"), 12, "seq_len = 32\nwidth = 3");
  expect_sweep_refused(dir, write(dir, "model.toml", text), {"model.toml", "model.width"});
}

// `scalelab plan` ends with the design check: two token budgets cannot separate E from
// B/D^beta, three can; a bad --noise is a one-line error.
TEST(SweepCli, PlanChecksTheDesignBeforeAnythingTrains) {
  ScratchDir dir;
  CliResult r = scalelab(dir, "plan " + quote(write(dir, "two.toml", tiny_spec())) + kFast);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("design check: expected 90% intervals of the fitted law"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  beta     not identified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("warning: this design cannot identify E, B, beta (2 distinct token budget(s))"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("forecast of held-out heldout-"), std::string::npos) << r.out;
  std::string three = tiny_spec();
  three.replace(three.find("tokens = [8192, 16384]"), 22, "tokens = [8192, 16384, 65536]");
  r = scalelab(dir, "plan " + quote(write(dir, "three.toml", three)) + kFast);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("cannot identify"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("not identified"), std::string::npos) << r.out;
  r = scalelab(dir, "plan " + quote(dir.path() / "three.toml") + kFast + " --noise 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "error: --noise: expected a fraction of the loss in (0, 1), got 0\n");
  EXPECT_TRUE(r.out.empty()) << r.out;

  // --prior: an earlier fit is the world the design is judged in; it must be a Chinchilla fit.
  const std::string points = quote(SCALELAB_SOURCE_DIR "/tests/data/chinchilla_points.csv");
  const std::string cols = " --n-col 'Model Size' --c-col 'Training FLOP' --max-starts 50";
  ASSERT_EQ(scalelab(dir, "fit " + points + cols + " --law chinchilla --json " + quote(dir.path() / "chin.json")).code, 0);
  r = scalelab(dir, "plan " + quote(dir.path() / "three.toml") + kFast + " --prior " + quote(dir.path() / "chin.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("prior: the fitted law L(N,D) = E + A/N^alpha + B/D^beta with E = "), std::string::npos) << r.out;
  ASSERT_EQ(scalelab(dir, "fit " + points + cols + " --law power --variable C --json " + quote(dir.path() / "pow.json")).code,
            0);
  r = scalelab(dir, "plan " + quote(dir.path() / "three.toml") + kFast + " --prior " + quote(dir.path() / "pow.json"));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "error: --prior: a power fit, expected a chinchilla fit (the law the sweep fits)\n");
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// The demo never forecasts from a ladder that repeats a small corpus more than its
// max_epochs: one line that says so and how large a corpus it needs; nothing written.
TEST(SweepCli, DemoRefusesACorpusTooSmallForItsDesign) {
  ScratchDir dir;
  const CliResult r = scalelab(dir, "demo --out " + quote((dir / "demo").string()) + " --no-probe --set data.path=" +
                                        quote(SCALELAB_SOURCE_DIR "/tests/data/corpus/train_sample.txt"));
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_TRUE(r.err.starts_with("error: demo: the corpus has ")) << r.err;
  EXPECT_NE(r.err.find("more than experiment.max_epochs = 5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("use a corpus of at least"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "demo"));
}

TEST(SweepCli, ImpossibleBudget) {
  ScratchDir dir;
  std::string text = tiny_spec();
  text.replace(text.find("tokens = [8192, 16384]"), 22, "tokens = [100, 16384]");  // one batch is 256 tokens
  expect_sweep_refused(dir, write(dir, "budget.toml", text), {"budget.toml", "budgets.tokens"});
  text = tiny_spec();
  text.replace(text.find("tokens = 32768"), 14, "tokens = 200");
  expect_sweep_refused(dir, write(dir, "heldout.toml", text), {"heldout.toml", "heldout.tokens"});
}

TEST(SweepCli, StoreFromANewerSchemaIsLeftByteIdentical) {
  ScratchDir dir;
  const fs::path store = dir / "new.sqlite";
  sweep_testing::raw_exec(store, "CREATE TABLE future(x); INSERT INTO future VALUES (42); PRAGMA user_version = 99");
  const std::string before = sweep_testing::file_bytes(store);
  ASSERT_FALSE(before.empty());
  const std::string spec = write(dir, "tiny.toml", tiny_spec());
  CliResult r = scalelab(dir, "sweep " + quote(spec) + " --store " + quote(store.string()) + kFast);
  expect_input_error(r, {store.string(), "99", "newer"});
  EXPECT_EQ(sweep_testing::file_bytes(store), before);
  EXPECT_FALSE(fs::exists(dir / "runs"));
  EXPECT_FALSE(fs::exists(store.string() + "-wal"));
  EXPECT_FALSE(fs::exists(store.string() + "-shm"));
  for (const std::string& cmd : {std::string("runs"), std::string("show tiny/x"), "export tiny -o " + quote((dir / "x.csv").string()),
                                 "report tiny -o " + quote((dir / "r.html").string())}) {
    r = scalelab(dir, cmd + " --store " + quote(store.string()));
    expect_input_error(r, {store.string(), "newer"}, cmd);
  }
  EXPECT_EQ(sweep_testing::file_bytes(store), before);
  EXPECT_FALSE(fs::exists(dir / "x.csv"));
  EXPECT_FALSE(fs::exists(dir / "r.html"));
}

TEST(SweepCli, StoreInAReadOnlyDirectory) {
  ScratchDir dir;
  const std::string spec = write(dir, "tiny.toml", tiny_spec());
  fs::create_directories(dir / "io");  // the captured output, writable by whoever runs the binary
  fs::permissions(dir / "io", fs::perms::all);
  fs::create_directories(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                  fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  for (const fs::path& store : {dir / "ro/s.sqlite", dir / "ro/sub/s.sqlite"}) {
    // Root ignores file modes: the binary runs as an unprivileged user (uid 65534) then.
    const auto outcome = sweep_testing::as_unprivileged([&] {
      const CliResult r = cli_testing::run_scalelab(
          dir / "io", "sweep " + quote(spec) + " --store " + quote(store.string()) + kFast);
      return std::to_string(r.code) + "\n" + r.err;
    });
    if (!outcome.ran) GTEST_SKIP() << "running as root without the right to become uid 65534: cannot test file modes";
    ASSERT_FALSE(outcome.threw) << outcome.message;
    const auto nl = outcome.message.find('\n');
    ASSERT_NE(nl, std::string::npos) << outcome.message;
    CliResult r;
    r.code = std::stoi(outcome.message.substr(0, nl));
    r.err = outcome.message.substr(nl + 1);
    expect_input_error(r, {store.string(), "cannot be written"}, store.string());
    EXPECT_TRUE(fs::is_empty(dir / "ro")) << store << ": something was written";
  }
}

TEST(SweepCli, QueriesNameAMissingStoreOrAnUnknownName) {
  ScratchDir dir;
  const std::string missing = (dir / "missing.sqlite").string();
  const std::string csv = (dir / "x.csv").string(), html = (dir / "r.html").string();
  for (const std::string& cmd : {std::string("runs"), std::string("runs tiny"), std::string("show tiny/n1"),
                                 "export tiny -o " + quote(csv), "report tiny -o " + quote(html)}) {
    const CliResult r = scalelab(dir, cmd + " --store " + quote(missing));
    expect_input_error(r, {missing, "no such run store"}, cmd);
  }
  EXPECT_FALSE(fs::exists(missing));

  // A store with one experiment "known" and no runs: unknown names are named.
  const std::string store = (dir / "s.sqlite").string();
  { sweep::RunStore(dir / "s.sqlite").upsert_experiment("known", "", "h"); }
  const std::string before = sweep_testing::file_bytes(store);
  const auto s = " --store " + quote(store);
  expect_input_error(scalelab(dir, "runs nope" + s), {"experiment 'nope'", store, "known"});
  expect_input_error(scalelab(dir, "show known/nope" + s), {"run 'known/nope'", store});
  expect_input_error(scalelab(dir, "show 12345" + s), {"run '12345'", store});
  expect_input_error(scalelab(dir, "export nope -o " + quote(csv) + s), {"experiment 'nope'", store});
  expect_input_error(scalelab(dir, "report nope -o " + quote(html) + s), {"experiment 'nope'", store});
  EXPECT_FALSE(fs::exists(csv));
  EXPECT_FALSE(fs::exists(html));
  EXPECT_EQ(sweep_testing::file_bytes(store), before);
}

// The lines of `runs` after its header, split into words.
std::vector<std::vector<std::string>> table_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string w; words >> w;) row.push_back(w);
    if (!row.empty()) rows.push_back(row);
  }
  return rows;
}

TEST(SweepCli, TinySweepEndToEnd) {
  ScratchDir dir;
  const std::string spec = write(dir, "tiny.toml", tiny_spec());
  const std::string store = (dir / "lab/s.sqlite").string();
  const std::string s = " --store " + quote(store);

  // The plan shows the WSD saving: 3 branches each skip their stable phase.
  CliResult r = scalelab(dir, "plan " + quote(spec) + " --workers 2 --threads 2 --no-probe");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "experiment tiny: 7 runs")) << r.out;
  EXPECT_TRUE(contains(r.out, "WSD reuse saves")) << r.out;
  EXPECT_TRUE(contains(r.out, "held out: forecast first")) << r.out;
  EXPECT_FALSE(fs::exists(dir / "lab")) << "plan wrote something";

  r = scalelab(dir, "sweep " + quote(spec) + s + " --workers 2 --threads 2 --no-probe --bootstrap 20");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "7 done, 0 failed, 0 pending")) << r.out;
  EXPECT_TRUE(contains(r.err, "saved before training")) << r.err;
  EXPECT_TRUE(fs::is_directory(dir / "lab/runs/tiny"));

  // Every run is listed as done, the held-out one marked.
  r = scalelab(dir, "runs" + s);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = table_rows(r.out);
  ASSERT_EQ(rows.size(), 7u) << r.out;
  std::string heldout;
  for (const auto& row : rows) {
    ASSERT_GE(row.size(), 3u);
    EXPECT_EQ(row[0], "tiny");
    EXPECT_EQ(row[2], "done") << r.out;
    if (row[1].rfind("heldout-", 0) == 0) heldout = row[1];
  }
  ASSERT_FALSE(heldout.empty()) << r.out;
  EXPECT_TRUE(contains(r.out, "held out"));
  CliResult only = scalelab(dir, "runs tiny" + s);
  EXPECT_EQ(only.out, r.out);

  // The held-out run's forecast was saved before it started training.
  r = scalelab(dir, "show tiny/" + heldout + s);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "forecast (saved before training)")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"predicted\"")) << r.out;
  r = scalelab(dir, "show --json " + heldout + s);
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["status"], "done");
  ASSERT_TRUE(j["forecast"].is_object()) << r.out;
  EXPECT_GT(j["forecast"]["predicted"].get<double>(), 0.0);
  EXPECT_EQ(j["forecast"]["fit_points"], 6);
  EXPECT_LE(j["forecast"]["saved_at"].get<std::string>(), j["started_at"].get<std::string>());
  EXPECT_GT(j["result"]["final_val_loss"].get<double>(), 0.0);
  EXPECT_FALSE(j["curve"].empty());

  // The export is what `scalelab fit` reads: a header and one row per run.
  const std::string csv = (dir / "x.csv").string();
  r = scalelab(dir, "export tiny -o " + quote(csv) + s);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = cli_testing::slurp(csv);
  EXPECT_EQ(text.substr(0, text.find('\n')), "run,N,N_total,D,C,C_full,loss,val_bpb,heldout,status");
  EXPECT_EQ(cli_testing::line_count(text), 8) << text;
  EXPECT_TRUE(contains(text, "\n" + heldout + ",")) << text;
  r = scalelab(dir, "fit " + quote(csv) + " --bootstrap 10");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "law chinchilla")) << r.out;
  EXPECT_TRUE(contains(r.out, "points 7")) << r.out;

  // The report: one HTML file with inline SVG, nothing fetched from the network.
  const std::string html = (dir / "r.html").string();
  r = scalelab(dir, "report tiny -o " + quote(html) + s);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string page = cli_testing::slurp(html);
  EXPECT_TRUE(contains(page, "<svg")) << html;
  EXPECT_TRUE(contains(page, "</html>"));
  EXPECT_FALSE(contains(page, "src=\"http")) << "the report loads something from the network";
  EXPECT_FALSE(contains(page, "href=\"http")) << "the report loads something from the network";

  // A rerun trains nothing: every run is done.
  r = scalelab(dir, "sweep " + quote(spec) + s + " --workers 2 --threads 2 --no-probe --bootstrap 20");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "7 done, 0 failed, 0 pending; 0 runs trained now")) << r.out;
  EXPECT_EQ(sweep_testing::raw_query(store, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace scalelab
