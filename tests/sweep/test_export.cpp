// Tests of the export (sweep/export.h): finished runs written as CSV and JSONL must read
// back through scalelab's own observation reader (fit/observations_io.h) with every
// number bit-exact, and unfinished or failed runs must stay out.
#include "sweep/export.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "fit/observations_io.h"
#include "sweep/run_store.h"
#include "sweep_testing.h"

namespace scalelab::sweep {
namespace {

using sweep_testing::input_error_message;
using sweep_testing::make_result;
using sweep_testing::make_row;
using sweep_testing::ScratchDir;

struct Expected {
  std::string run;
  int64_t N, N_total, D;
  double loss;
  bool heldout;
};

// Done runs (one held out, one with a name that needs CSV quoting), a failed run and a
// planned one; losses with awkward binary expansions.
struct ExportFixture {
  ScratchDir dir;
  RunStore store{dir / "runs.sqlite"};
  int64_t exp = store.upsert_experiment("demo", "", "");
  std::vector<Expected> done = {{"n1k", 1234, 34234, 98304, 0.1 + 0.2 + 4, false},
                                {"n5k,\"q\"", 5678, 40000, 262144, 3.1415926535897931, false},
                                {"n40k", 40960, 100000, 4194304, 2.7182818284590451 + 1e-13, true}};

  ExportFixture() {
    std::vector<RunRow> rows;
    for (const Expected& e : done) rows.push_back(make_row(e.run, e.N, e.D, e.heldout));
    rows.push_back(make_row("broken", 1e3, 1e4));
    rows.push_back(make_row("later", 1e3, 1e4));
    auto ids = store.add_runs(exp, rows);
    for (size_t i = 0; i < done.size(); ++i) {
      const Expected& e = done[i];
      EXPECT_TRUE(store.try_claim(ids[i], RunStore::this_owner()));
      // Curve: a step-0 point (no tokens yet), a point without validation, two with.
      std::vector<CurvePoint> curve = {{0, 0, 5.5, 5.625, 0},
                                       {10, e.D / 4, 4.75, std::nan(""), 1e-3},
                                       {20, e.D / 2, std::nan(""), e.loss + 0.5, 1e-3},
                                       {40, e.D, 3.0 + 1.0 / 3.0, e.loss, 1e-4}};
      EXPECT_TRUE(store.finish_run(ids[i], RunStore::this_owner(), make_result(e.N, e.N_total, e.D, e.loss), curve));
    }
    EXPECT_TRUE(store.try_claim(ids[3], RunStore::this_owner()));
    EXPECT_TRUE(store.fail_run(ids[3], RunStore::this_owner(), "NaN loss"));
  }
};

void check_final_points(const fit::Observations& obs, const std::vector<Expected>& want) {
  ASSERT_EQ(obs.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const Expected& e = want[i];
    EXPECT_EQ(obs[i].run, e.run);
    EXPECT_EQ(obs[i].N, static_cast<double>(e.N));
    EXPECT_EQ(obs[i].D, static_cast<double>(e.D));
    EXPECT_EQ(obs[i].C, 6 * static_cast<double>(e.N) * static_cast<double>(e.D));
    EXPECT_EQ(obs[i].loss, e.loss);  // bit-exact
  }
}

TEST(Export, FinalPointsCsvReadsBackThroughTheFitReader) {
  ExportFixture f;
  const std::string csv = export_runs(f.store, f.exp, ExportWhat::final_points, ExportFormat::csv);
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header, "run,N,N_total,D,C,C_full,loss,val_bpb,heldout,status");
  check_final_points(fit::parse_csv_observations(csv, "export.csv"), f.done);
  // N_total through the reader's column mapping.
  fit::ReadOptions opt;
  opt.cols.N = "N_total";
  fit::Observations total = fit::parse_csv_observations(csv, "export.csv", opt);
  ASSERT_EQ(total.size(), 3u);
  EXPECT_EQ(total[2].N, 100000.0);
  // heldout and status close every row: the third run is the held-out one.
  std::vector<std::string> tails;
  for (std::string line; std::getline(lines, line);) tails.push_back(line.substr(line.rfind(',', line.size() - 6)));
  EXPECT_EQ(tails, (std::vector<std::string>{",0,done", ",0,done", ",1,done"}));
  EXPECT_EQ(csv.find("broken"), std::string::npos);
  EXPECT_EQ(csv.find("later"), std::string::npos);
}

TEST(Export, FinalPointsJsonlReadsBackThroughTheFitReader) {
  ExportFixture f;
  const std::string text = export_runs(f.store, f.exp, ExportWhat::final_points, ExportFormat::jsonl);
  check_final_points(fit::parse_jsonl_observations(text, "export.jsonl"), f.done);
  std::istringstream lines(text);
  std::vector<Json> objs;
  for (std::string line; std::getline(lines, line);) objs.push_back(Json::parse(line));
  ASSERT_EQ(objs.size(), 3u);
  EXPECT_EQ(objs[0]["heldout"], 0);
  EXPECT_EQ(objs[2]["heldout"], 1);
  EXPECT_EQ(objs[1]["run"], "n5k,\"q\"");
  EXPECT_EQ(objs[1]["N_total"], 40000);
  EXPECT_EQ(objs[1]["status"], "done");
  EXPECT_EQ(objs[0]["C_full"].get<double>(), 7.25 * 1234 * 98304);
  EXPECT_EQ(objs[0]["val_bpb"].get<double>(), (0.1 + 0.2 + 4) / 0.6931471805599453 / 4.2);
  EXPECT_EQ(text.substr(0, 8), "{\"run\":\"");  // columns in the documented order
}

TEST(Export, CurvesHoldEveryValidationPointAfterTheFirstToken) {
  ExportFixture f;
  for (ExportFormat fmt_ : {ExportFormat::csv, ExportFormat::jsonl}) {
    const std::string text = export_runs(f.store, f.exp, ExportWhat::curves, fmt_);
    fit::Observations obs = fmt_ == ExportFormat::csv ? fit::parse_csv_observations(text, "curves.csv")
                                                      : fit::parse_jsonl_observations(text, "curves.jsonl");
    ASSERT_EQ(obs.size(), 2 * f.done.size());  // steps 20 and 40 of each done run
    for (size_t i = 0; i < f.done.size(); ++i) {
      const Expected& e = f.done[i];
      const fit::Observation& mid = obs[2 * i];
      const fit::Observation& end = obs[2 * i + 1];
      EXPECT_EQ(mid.run, e.run);
      EXPECT_EQ(mid.step, 20);
      EXPECT_EQ(mid.D, static_cast<double>(e.D / 2));
      EXPECT_EQ(mid.loss, e.loss + 0.5);
      EXPECT_EQ(mid.C, 6.0 * static_cast<double>(e.N) * static_cast<double>(e.D / 2));
      EXPECT_EQ(end.step, 40);
      EXPECT_EQ(end.N, static_cast<double>(e.N));
      EXPECT_EQ(end.loss, e.loss);
    }
    if (fmt_ == ExportFormat::csv) {
      EXPECT_EQ(text.substr(0, text.find('\n')), "run,step,N,N_total,D,C,loss,train_loss,heldout");
      // Step 20 has no training loss: an empty cell, not "nan".
      EXPECT_EQ(text.find("nan"), std::string::npos);
      EXPECT_NE(text.find(",,0\n"), std::string::npos);
      fit::ReadOptions opt;
      opt.cols.loss = "train_loss";
      std::string msg = input_error_message([&] { fit::parse_csv_observations(text, "curves.csv", opt); });
      EXPECT_NE(msg.find("empty value"), std::string::npos) << msg;
    } else {
      EXPECT_NE(text.find("\"train_loss\":null"), std::string::npos);
    }
  }
}

TEST(Export, AnExperimentWithoutFinishedRunsIsAnInputError) {
  ScratchDir dir;
  RunStore store(dir / "runs.sqlite");
  int64_t exp = store.upsert_experiment("fresh", "", "");
  store.add_runs(exp, {make_row("a", 1e3, 1e4)});
  std::string msg = input_error_message([&] { export_runs(store, exp, ExportWhat::final_points, ExportFormat::csv); });
  EXPECT_EQ(msg, (dir / "runs.sqlite").string() + ": experiment 'fresh' has no finished run to export");
}

TEST(Export, AResultMissingAFieldNamesTheRunAndField) {
  ScratchDir dir;
  RunStore store(dir / "runs.sqlite");
  int64_t exp = store.upsert_experiment("x", "", "");
  int64_t id = store.add_runs(exp, {make_row("a", 1e3, 1e4)})[0];
  ASSERT_TRUE(store.try_claim(id, RunStore::this_owner()));
  Json result = make_result(1000, 2000, 10000, 3.0);
  result.erase("tokens_trained");
  ASSERT_TRUE(store.finish_run(id, RunStore::this_owner(), result, {}));
  std::string msg = input_error_message([&] { export_runs(store, exp, ExportWhat::final_points, ExportFormat::csv); });
  EXPECT_NE(msg.find("run 'x/a': result has no number \"tokens_trained\""), std::string::npos) << msg;
}

TEST(Export, FormatFollowsTheExtension) {
  EXPECT_EQ(export_format_for("runs.jsonl"), ExportFormat::jsonl);
  EXPECT_EQ(export_format_for("runs.NDJSON"), ExportFormat::jsonl);
  EXPECT_EQ(export_format_for("a/b.json"), ExportFormat::jsonl);
  EXPECT_EQ(export_format_for("runs.csv"), ExportFormat::csv);
  EXPECT_EQ(export_format_for("runs"), ExportFormat::csv);
}

}  // namespace
}  // namespace scalelab::sweep
