// Tests of the SQLite run store (sweep/run_store.h): creation, migration and refusal of
// bad files; run bookkeeping (add, claim, release, finish, fail, reset); curves with
// missing values; fits; probe results (schema version 2, and the migration of a version-1
// store); run lookup. Owner liveness and claims across processes: test_run_store_claims.cpp.
#include "sweep/run_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "sweep/postgres_database.h"
#include "sweep/sqlite_database.h"
#include "sweep_testing.h"

namespace scalelab::sweep {
namespace {

using sweep_testing::file_bytes;
using sweep_testing::input_error_message;
using sweep_testing::make_result;
using sweep_testing::make_row;
using sweep_testing::raw_exec;
using sweep_testing::raw_query;
using sweep_testing::ScratchDir;
using Fixture = sweep_testing::StoreFixture;
using sweep_testing::ScratchStore;
using sweep_testing::StoreKind;

// The tests that hold for every store, run on SQLite and on PostgreSQL.
class StoreTest : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, sweep_testing::StoreKinds, sweep_testing::store_kind_name);

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }


TEST(StoreSchema, MigrationsAreNumberedInOrderUpToTheSchemaVersion) {
  auto steps = sqlite_migrations();
  ASSERT_EQ(static_cast<int>(steps.size()), RunStore::kSchemaVersion);
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(steps[i].sql.empty());
  }
}

TEST(RunStore, CreatesDirectoryAndSchemaInWalModeAndReopens) {
  ScratchDir dir;
  const auto path = dir / "nested/deeper/runs.sqlite";
  int64_t exp = 0;
  {
    RunStore store(path);
    EXPECT_EQ(store.schema_version(), RunStore::kSchemaVersion);
    EXPECT_EQ(store.integrity_check(), "ok");
    exp = store.upsert_experiment("demo", "a = 1\n", "h1");
    EXPECT_EQ(store.upsert_experiment("demo", "a = 2\n", "h2"), exp);  // same id, new spec
    store.upsert_experiment("other", "", "h3");
  }
  EXPECT_EQ(raw_query(path, "PRAGMA journal_mode"), "wal");
  RunStore store(path);
  EXPECT_EQ(store.schema_version(), RunStore::kSchemaVersion);
  auto all = store.experiments();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "demo");
  EXPECT_EQ(all[0].id, exp);
  EXPECT_EQ(all[0].spec, "a = 2\n");
  EXPECT_EQ(all[0].spec_hash, "h2");
  EXPECT_EQ(all[0].created_at.size(), 20u);  // 2026-01-02T03:04:05Z
  EXPECT_EQ(all[0].created_at.back(), 'Z');
  EXPECT_EQ(store.experiment("other").spec_hash, "h3");
  std::string msg = input_error_message([&] { store.experiment("nope"); });
  EXPECT_TRUE(contains(msg, "experiment 'nope' is not in")) << msg;
  EXPECT_TRUE(contains(msg, path.string())) << msg;
  EXPECT_TRUE(contains(msg, "(it has: demo, other)")) << msg;
}

TEST(RunStore, MigratesAnEmptyVersionZeroFile) {
  ScratchDir dir;
  const auto path = dir / "empty.sqlite";
  std::ofstream(path).close();  // 0 bytes: SQLite's empty database, user_version 0
  RunStore store(path);
  EXPECT_EQ(store.schema_version(), RunStore::kSchemaVersion);
  EXPECT_EQ(raw_query(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                            "('experiments','runs','curves','fits','probe_results')"),
            "5");
  EXPECT_EQ(store.integrity_check(), "ok");
}

TEST(RunStore, RefusesANewerSchemaAndLeavesTheFileAlone) {
  ScratchDir dir;
  const auto path = dir / "runs.sqlite";
  {
    RunStore store(path);
    store.upsert_experiment("demo", "", "h");
  }
  raw_exec(path, "PRAGMA user_version = 99");
  const std::string before = file_bytes(path);
  for (StoreMode mode : {StoreMode::read_write, StoreMode::read_only}) {
    std::string msg = input_error_message([&] { RunStore s(path, mode); });
    EXPECT_EQ(msg, path.string() + fmt::format(": store schema version 99 is newer than this scalelab supports ({}); "
                                               "use a newer scalelab",
                                               RunStore::kSchemaVersion));
  }
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(raw_query(path, "PRAGMA user_version"), "99");
}

TEST(RunStore, RefusesAFileThatIsNotASqliteDatabase) {
  ScratchDir dir;
  const auto path = dir / "notes.sqlite";
  std::string text;
  for (int i = 0; i < 200; ++i) text += "this is not a database, just text\n";
  std::ofstream(path) << text;
  for (StoreMode mode : {StoreMode::read_write, StoreMode::read_only}) {
    std::string msg = input_error_message([&] { RunStore s(path, mode); });
    EXPECT_TRUE(contains(msg, path.string() + ": not a scalelab run store")) << msg;
  }
  EXPECT_EQ(file_bytes(path), text);
}

TEST(RunStore, RefusesAnotherApplicationsSqliteDatabase) {
  ScratchDir dir;
  const auto path = dir / "other.sqlite";
  raw_exec(path, "CREATE TABLE t (x INTEGER)");
  std::string msg = input_error_message([&] { RunStore s(path); });
  EXPECT_TRUE(contains(msg, path.string() + ": a SQLite database but not a scalelab run store")) << msg;
  EXPECT_EQ(raw_query(path, "SELECT count(*) FROM sqlite_master"), "1");  // untouched
}

TEST(RunStore, ReadOnlyModeNeedsAnExistingStoreAndRefusesWrites) {
  ScratchDir dir;
  const auto path = dir / "runs.sqlite";
  std::string msg = input_error_message([&] { RunStore s(path, StoreMode::read_only); });
  EXPECT_EQ(msg, path.string() + ": no such run store");
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    RunStore store(path);
    store.add_runs(store.upsert_experiment("demo", "", "h"), {make_row("a", 1e3, 1e4)});
  }
  RunStore ro(path, StoreMode::read_only);
  EXPECT_EQ(ro.find_run("demo/a").status, RunStatus::planned);
  msg = input_error_message([&] { ro.upsert_experiment("x", "", ""); });
  EXPECT_TRUE(contains(msg, path.string() + ": the run store cannot be written")) << msg;
}

// Modes only bind non-root users; as root the open runs in a child that drops to nobody.
TEST(RunStore, RefusesAStoreInADirectoryThatCannotBeWritten) {
  ScratchDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  const auto locked = dir / "locked";
  std::filesystem::create_directories(locked);
  { RunStore existing(locked / "old.sqlite"); }
  ::chmod(locked.c_str(), 0555);
  auto fresh = sweep_testing::unprivileged_open(locked / "new.sqlite");
  auto old = sweep_testing::unprivileged_open(locked / "old.sqlite");
  ::chmod(locked.c_str(), 0755);
  if (!fresh.ran) GTEST_SKIP() << "running as root without the right to drop to uid 65534: modes cannot be tested";
  ASSERT_TRUE(fresh.threw);
  EXPECT_TRUE(contains(fresh.message, (locked / "new.sqlite").string() + ": the run store cannot be written"))
      << fresh.message;
  ASSERT_TRUE(old.threw);
  EXPECT_TRUE(contains(old.message, (locked / "old.sqlite").string() + ": the run store cannot be written"))
      << old.message;
  EXPECT_FALSE(std::filesystem::exists(locked / "new.sqlite"));
}

TEST(RunStore, ReadOnlyModeReadsAStoreInADirectoryThatCannotBeWritten) {
  ScratchDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  const auto archive = dir / "archive";
  const auto path = archive / "runs.sqlite";
  {
    RunStore store(path);
    store.add_runs(store.upsert_experiment("demo", "", "h"), {make_row("a", 1e3, 1e4), make_row("b", 2e3, 1e4)});
  }
  ASSERT_FALSE(std::filesystem::exists(archive / "runs.sqlite-shm"));  // removed on the last close
  ::chmod(archive.c_str(), 0555);
  auto out = sweep_testing::as_unprivileged([&] {
    RunStore ro(path, StoreMode::read_only);
    return fmt::format("{} runs, {}", ro.all_runs().size(), ro.integrity_check());
  });
  ::chmod(archive.c_str(), 0755);
  if (!out.ran) GTEST_SKIP() << "running as root without the right to drop to uid 65534: modes cannot be tested";
  EXPECT_FALSE(out.threw) << out.message;
  EXPECT_EQ(out.message, "2 runs, ok");
}

TEST(RunStore, RefusesAReadOnlyStoreFile) {
  ScratchDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0777));  // only the file is locked
  const auto path = dir / "runs.sqlite";
  { RunStore store(path); }
  ::chmod(path.c_str(), 0444);
  auto out = sweep_testing::unprivileged_open(path);
  ::chmod(path.c_str(), 0644);
  if (!out.ran) GTEST_SKIP() << "running as root without the right to drop to uid 65534: modes cannot be tested";
  ASSERT_TRUE(out.threw);
  EXPECT_TRUE(contains(out.message, path.string() + ": the run store cannot be written")) << out.message;
  EXPECT_TRUE(contains(out.message, "read-only")) << out.message;
}

TEST_P(StoreTest, AddRunsKeepsSameHashAndResetsAChangedOne) {
  Fixture f(GetParam());
  ASSERT_EQ(f.ids.size(), 3u);
  EXPECT_TRUE(f.store.try_claim(f.ids[0], RunStore::this_owner()));
  ASSERT_TRUE(f.store.finish_run(f.ids[0], RunStore::this_owner(), make_result(1000, 1500, 100000, 3.5), {{10, 1000, 4.0, 4.1, 1e-3}}));
  EXPECT_TRUE(f.store.try_claim(f.ids[1], RunStore::this_owner()));
  ASSERT_TRUE(f.store.finish_run(f.ids[1], RunStore::this_owner(), make_result(2000, 2500, 200000, 3.2), {{10, 1000, 4.0, 4.1, 1e-3}}));

  // a unchanged (but a new plan), b with a new config, d new.
  RunRow a = make_row("a", 1e3, 1e5);
  a.plan["eta_seconds"] = 12.5;
  RunRow b = make_row("b", 2e3, 3e5);
  ASSERT_NE(b.config_hash, make_row("b", 2e3, 2e5).config_hash);
  auto ids = f.store.add_runs(f.exp, {make_row("d", 8e3, 8e5), b, a});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[1], f.ids[1]);
  EXPECT_EQ(ids[2], f.ids[0]);
  EXPECT_GT(ids[0], f.ids[2]);

  RunRecord ra = f.store.run(f.ids[0]);
  EXPECT_EQ(ra.status, RunStatus::done);
  EXPECT_EQ(ra.result["final_val_loss"], 3.5);
  EXPECT_EQ(ra.plan["eta_seconds"], 12.5);
  EXPECT_EQ(f.store.curve(f.ids[0]).size(), 1u);

  RunRecord rb = f.store.run(f.ids[1]);
  EXPECT_EQ(rb.status, RunStatus::planned);
  EXPECT_TRUE(rb.result.is_null());
  EXPECT_EQ(rb.config, b.config);
  EXPECT_EQ(rb.config_hash, b.config_hash);
  EXPECT_EQ(rb.attempts, 0);
  EXPECT_TRUE(rb.started_at.empty());
  EXPECT_TRUE(f.store.curve(f.ids[1]).empty());

  EXPECT_EQ(f.store.run(ids[0]).status, RunStatus::planned);
  EXPECT_EQ(f.store.runs(f.exp).size(), 4u);
  std::string msg = input_error_message([&] { f.store.add_runs(f.exp, {make_row("x", 1, 1), make_row("x", 2, 2)}); });
  EXPECT_TRUE(contains(msg, "run name 'x' appears twice")) << msg;
  EXPECT_EQ(f.store.runs(f.exp).size(), 4u);
  EXPECT_EQ(f.store.integrity_check(), "ok");
}

TEST_P(StoreTest, ClaimReleaseFinishAndFailRoundTrip) {
  Fixture f(GetParam());
  const std::string me = RunStore::this_owner();
  RunRecord r = f.store.run(f.ids[0]);
  EXPECT_EQ(r.experiment, "exp");
  EXPECT_EQ(r.name, "a");
  EXPECT_EQ(r.status, RunStatus::planned);
  EXPECT_EQ(r.plan["heldout"], false);
  EXPECT_EQ(f.store.run(f.ids[2]).plan["heldout"], true);

  ASSERT_TRUE(f.store.try_claim(f.ids[0], me, "abc123"));
  EXPECT_FALSE(f.store.try_claim(f.ids[0], me));  // held by a live owner (this process)
  r = f.store.run(f.ids[0]);
  EXPECT_EQ(r.status, RunStatus::running);
  EXPECT_EQ(r.owner, me);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.git_commit, "abc123");
  EXPECT_EQ(r.host, me.substr(0, me.find(':')));
  EXPECT_FALSE(r.started_at.empty());
  EXPECT_GT(r.heartbeat, 1.7e9);
  const std::string first_start = r.started_at;

  EXPECT_TRUE(f.store.release(f.ids[0], RunStore::this_owner()));
  r = f.store.run(f.ids[0]);
  EXPECT_EQ(r.status, RunStatus::planned);
  EXPECT_TRUE(r.owner.empty());
  ASSERT_TRUE(f.store.try_claim(f.ids[0], me));
  r = f.store.run(f.ids[0]);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.started_at, first_start);  // the first claim's time is kept

  Json result = make_result(1000, 1500, 100000, 3.25);
  ASSERT_TRUE(f.store.finish_run(f.ids[0], RunStore::this_owner(), result, {{0, 0, 5.5, 5.6, 0}, {100, 12800, 4.25, 4.5, 1e-3}}));
  r = f.store.run(f.ids[0]);
  EXPECT_EQ(r.status, RunStatus::done);
  EXPECT_EQ(r.result, result);
  EXPECT_TRUE(r.owner.empty());
  EXPECT_FALSE(r.ended_at.empty());
  EXPECT_FALSE(f.store.try_claim(f.ids[0], me));  // done runs stay done
  EXPECT_FALSE(f.store.release(f.ids[0], RunStore::this_owner()));  // and release does not undo them
  EXPECT_EQ(f.store.run(f.ids[0]).status, RunStatus::done);

  ASSERT_TRUE(f.store.try_claim(f.ids[1], me));
  ASSERT_TRUE(f.store.fail_run(f.ids[1], RunStore::this_owner(), "loss became NaN at step 40"));
  r = f.store.run(f.ids[1]);
  EXPECT_EQ(r.status, RunStatus::failed);
  EXPECT_EQ(r.error, "loss became NaN at step 40");
  EXPECT_TRUE(r.owner.empty());
  EXPECT_FALSE(f.store.try_claim(f.ids[1], me));

  auto exps = f.store.experiments();
  ASSERT_EQ(exps.size(), 1u);
  EXPECT_EQ(exps[0].runs, 3);
  EXPECT_EQ(exps[0].done, 1);
  EXPECT_EQ(exps[0].failed, 1);

  EXPECT_EQ(f.store.reset_failed(f.exp), 1);
  EXPECT_EQ(f.store.reset_failed(f.exp), 0);
  r = f.store.run(f.ids[1]);
  EXPECT_EQ(r.status, RunStatus::planned);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(f.store.run(f.ids[0]).status, RunStatus::done);  // only failed runs move
  EXPECT_TRUE(f.store.try_claim(f.ids[1], me));
  EXPECT_EQ(f.store.run(f.ids[1]).attempts, 2);
  EXPECT_EQ(f.store.integrity_check(), "ok");
}

TEST_P(StoreTest, ForecastsAndFitsRoundTrip) {
  Fixture f(GetParam());
  EXPECT_TRUE(f.store.run(f.ids[2]).forecast.is_null());
  Json fc = {{"predicted", 3.0123456789012345}, {"lo", 2.9}, {"hi", 3.1}, {"from_runs", {"a", "b"}}};
  f.store.set_forecast(f.ids[2], fc);
  EXPECT_EQ(f.store.run(f.ids[2]).forecast, fc);

  EXPECT_FALSE(f.store.fit(f.exp, "approach3").has_value());
  EXPECT_TRUE(f.store.fit_kinds(f.exp).empty());
  Json fit3 = {{"E", 1.69}, {"A", 406.4}, {"alpha", 0.34}, {"ci", {{"alpha", {0.3, 0.38}}}}};
  f.store.save_fit(f.exp, "approach3", fit3);
  f.store.save_fit(f.exp, "approach1", {{"a", 0.5}});
  f.store.save_fit(f.exp, "approach1", {{"a", 0.49}});  // replaced, not added
  EXPECT_EQ(f.store.fit(f.exp, "approach3").value(), fit3);
  EXPECT_EQ(f.store.fit(f.exp, "approach1").value()["a"], 0.49);
  EXPECT_EQ(f.store.fit_kinds(f.exp), (std::vector<std::string>{"approach1", "approach3"}));
  int64_t other = f.store.upsert_experiment("other", "", "");
  EXPECT_TRUE(f.store.fit_kinds(other).empty());
  EXPECT_EQ(std::stoi(f.where.query("SELECT count(*) FROM fits")), 2);
}

// A store written by a scalelab of schema version 1 (its SQL, as it shipped), with data in
// every table, is migrated in place on a read-write open: the data kept, probe results added.
TEST(RunStore, MigratesAVersionOneStoreKeepingItsData) {
  ScratchDir dir;
  const auto path = dir / "v1.sqlite";
  ASSERT_EQ(sqlite_migrations()[0].version, 1);
  raw_exec(path, std::string(sqlite_migrations()[0].sql) +
                     "INSERT INTO experiments VALUES (1, 'old', '[spec]', 'h1', '2026-01-01T00:00:00Z');"
                     "INSERT INTO runs (id, experiment_id, name, status, config, config_hash, plan, result) VALUES "
                     "(7, 1, 'a', 'done', '{\"n\":1}', 'c1', '{\"heldout\":false}', '{\"final_val_loss\":3.5}');"
                     "INSERT INTO curves VALUES (7, 10, 1280, 4.0, 4.1, 0.001);"
                     "INSERT INTO fits (experiment_id, kind, json, created_at) VALUES "
                     "(1, 'approach3', '{\"E\":1.7}', '2026-01-01T00:00:00Z');"
                     "PRAGMA user_version = 1;");
  ASSERT_EQ(raw_query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'probe_results'"), "0");

  // Read-only cannot migrate: refused with advice, file untouched.
  const std::string before = file_bytes(path);
  std::string msg = input_error_message([&] { RunStore ro(path, StoreMode::read_only); });
  EXPECT_TRUE(contains(msg, "store schema version 1 is older")) << msg;
  EXPECT_EQ(file_bytes(path), before);

  RunStore store(path);
  EXPECT_EQ(store.schema_version(), RunStore::kSchemaVersion);
  EXPECT_EQ(store.integrity_check(), "ok");
  RunRecord r = store.find_run("old/a");
  EXPECT_EQ(r.id, 7);
  EXPECT_EQ(r.status, RunStatus::done);
  EXPECT_EQ(r.result["final_val_loss"], 3.5);
  ASSERT_EQ(store.curve(7).size(), 1u);
  EXPECT_EQ(store.curve(7)[0].val_loss, 4.1);
  EXPECT_EQ(store.fit(1, "approach3").value()["E"], 1.7);
  EXPECT_TRUE(store.probe_results().empty());
  EXPECT_FALSE(store.probe_result(1, "icl").has_value());
  store.save_probe(1, "icl", {{"probe", "icl"}, {"summary", {{"score", -0.4}}}});
  EXPECT_EQ(store.probe_result(1, "icl").value()["summary"]["score"], -0.4);
  EXPECT_EQ(raw_query(path, "PRAGMA user_version"), std::to_string(RunStore::kSchemaVersion));
  // A second open finds it current and migrates nothing.
  RunStore again(path, StoreMode::read_only);
  EXPECT_EQ(again.probe_results().size(), 1u);
}

TEST_P(StoreTest, ProbeResultsRoundTripAndAreReplaced) {
  Fixture f(GetParam());
  EXPECT_FALSE(f.store.probe_result(f.exp, "emergence").has_value());
  Json result = {{"probe", "emergence"},
                 {"title", "Emergence and its metrics"},
                 {"figures", {{{"id", "m"}, {"series", {{{"x", {1e12, 1e13}}, {"y", {0.0, 0.25}}}}}}}},
                 {"summary", {{"threshold_flops", 3.0000000000000004e12}, {"nan", std::nan("")}}}};
  f.store.save_probe(f.exp, "emergence", result);
  Json got = f.store.probe_result(f.exp, "emergence").value();
  EXPECT_EQ(got["figures"], result["figures"]);
  EXPECT_EQ(got["summary"]["threshold_flops"].get<double>(), 3.0000000000000004e12);  // bit-exact
  EXPECT_TRUE(got["summary"]["nan"].is_null());  // JSON has no NaN: stored as null
  EXPECT_FALSE(f.store.probe_result(f.exp, "icl").has_value());

  f.store.save_probe(f.exp, "emergence", {{"probe", "emergence"}, {"summary", {{"threshold_flops", 5e12}}}});
  EXPECT_EQ(f.store.probe_result(f.exp, "emergence").value()["summary"]["threshold_flops"], 5e12);
  EXPECT_FALSE(f.store.probe_result(f.exp, "emergence").value().contains("figures"));
  EXPECT_EQ(f.where.query("SELECT count(*) FROM probe_results"), "1");
  auto all = f.store.probe_results();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].experiment, "exp");
  EXPECT_EQ(all[0].probe, "emergence");
  EXPECT_EQ(all[0].saved_at.size(), 20u);  // 2026-01-02T03:04:05Z
  EXPECT_EQ(all[0].result["summary"]["threshold_flops"], 5e12);

  std::string msg = input_error_message([&] { f.store.save_probe(f.exp, "", Json::object()); });
  EXPECT_TRUE(contains(msg, "needs a probe name")) << msg;
  EXPECT_THROW(f.store.save_probe(f.exp + 1000, "icl", Json::object()), InternalError);  // no such experiment
  EXPECT_EQ(f.where.query("SELECT count(*) FROM probe_results"), "1");

  f.where.exec("UPDATE probe_results SET result = '{not json'");
  msg = input_error_message([&] { f.store.probe_results(); });
  EXPECT_TRUE(contains(msg, "the run store is damaged: probe result 'emergence' of experiment 'exp'")) << msg;
}

TEST_P(StoreTest, ProbeResultsOfEveryExperimentByExperimentThenProbe) {
  Fixture f(GetParam());
  const int64_t second = f.store.upsert_experiment("probes", "", "h");
  const int64_t third = f.store.upsert_experiment("gone", "", "h");
  f.store.save_probe(second, "ngram", {{"n", 1}});
  f.store.save_probe(f.exp, "icl", {{"n", 2}});
  f.store.save_probe(second, "emergence", {{"n", 3}});
  f.store.save_probe(third, "ensemble", {{"n", 4}});
  f.store.save_probe(f.exp, "ensemble", {{"n", 5}});
  std::vector<std::string> seen;
  for (const ProbeRecord& r : f.store.probe_results())
    seen.push_back(fmt::format("{}/{}={}", r.experiment, r.probe, r.result["n"].get<int>()));
  EXPECT_EQ(seen, (std::vector<std::string>{"exp/ensemble=5", "exp/icl=2", "probes/emergence=3", "probes/ngram=1",
                                            "gone/ensemble=4"}));
  EXPECT_EQ(f.store.probe_result(second, "ngram").value()["n"], 1);
  EXPECT_FALSE(f.store.probe_result(second, "icl").has_value());
  // Deleted with their experiment.
  f.where.exec(fmt::format("DELETE FROM experiments WHERE id = {}", third));
  EXPECT_EQ(f.store.probe_results().size(), 4u);
  EXPECT_EQ(f.store.integrity_check(), "ok");
}

TEST_P(StoreTest, CurvesKeepMissingValuesAsNaN) {
  Fixture f(GetParam());
  const double nan = std::nan("");
  std::vector<CurvePoint> curve = {{200, 25600, 4.125, nan, 2e-3},
                                   {0, 0, nan, 5.75, 0},
                                   {100, 12800, 4.5, 4.625, 1.0000000000000002e-3}};
  ASSERT_TRUE(f.store.try_claim(f.ids[0], RunStore::this_owner()));
  ASSERT_TRUE(f.store.finish_run(f.ids[0], RunStore::this_owner(), make_result(1000, 1500, 25600, 4.0), curve));
  auto got = f.store.curve(f.ids[0]);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].step, 0);
  EXPECT_EQ(got[1].step, 100);
  EXPECT_EQ(got[2].step, 200);
  EXPECT_TRUE(std::isnan(got[0].loss));
  EXPECT_EQ(got[0].val_loss, 5.75);
  EXPECT_EQ(got[1].tokens, 12800);
  EXPECT_EQ(got[1].lr, 1.0000000000000002e-3);  // bit-exact
  EXPECT_TRUE(std::isnan(got[2].val_loss));
  EXPECT_EQ(got[2].loss, 4.125);
  EXPECT_EQ(f.where.query("SELECT count(*) FROM curves WHERE val_loss IS NULL"), "1");
  // A run that is done is not finished twice: the second call changes nothing.
  EXPECT_FALSE(f.store.finish_run(f.ids[0], RunStore::this_owner(), make_result(1000, 1500, 25600, 4.0),
                                  {{300, 38400, 3.9, 3.95, 1e-4}}));
  EXPECT_EQ(f.store.curve(f.ids[0]).size(), 3u);
  // A run trained again (its config changed, so it is planned anew) gets the new curve only.
  f.where.exec("UPDATE runs SET status = 'planned' WHERE id = " + std::to_string(f.ids[0]));
  ASSERT_TRUE(f.store.try_claim(f.ids[0], RunStore::this_owner()));
  ASSERT_TRUE(f.store.finish_run(f.ids[0], RunStore::this_owner(), make_result(1000, 1500, 25600, 4.0),
                                 {{300, 38400, 3.9, 3.95, 1e-4}}));
  got = f.store.curve(f.ids[0]);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].step, 300);
  EXPECT_TRUE(f.store.curve(f.ids[1]).empty());
}

TEST_P(StoreTest, FindRunByQualifiedNameBareNameOrId) {
  Fixture f(GetParam());
  int64_t exp2 = f.store.upsert_experiment("exp2", "", "");
  auto ids2 = f.store.add_runs(exp2, {make_row("a", 1e3, 1e5), make_row("only2", 1e3, 1e5)});
  EXPECT_EQ(f.store.find_run("exp/a").id, f.ids[0]);
  EXPECT_EQ(f.store.find_run("exp2/a").id, ids2[0]);
  EXPECT_EQ(f.store.find_run("b").id, f.ids[1]);
  EXPECT_EQ(f.store.find_run("only2").experiment, "exp2");
  EXPECT_EQ(f.store.find_run(std::to_string(ids2[1])).name, "only2");

  std::string msg = input_error_message([&] { f.store.find_run("a"); });
  EXPECT_TRUE(contains(msg, "run 'a' is ambiguous")) << msg;
  EXPECT_TRUE(contains(msg, "exp, exp2")) << msg;
  msg = input_error_message([&] { f.store.find_run("exp/zzz"); });
  EXPECT_EQ(msg, "run 'exp/zzz' is not in " + f.store.location());
  msg = input_error_message([&] { f.store.find_run("nosuch/a"); });
  EXPECT_EQ(msg, "run 'nosuch/a' is not in " + f.store.location());
  msg = input_error_message([&] { f.store.find_run("999"); });
  EXPECT_EQ(msg, "run '999' is not in " + f.store.location());
  EXPECT_THROW(f.store.run(999), InternalError);
  EXPECT_EQ(f.store.all_runs().size(), 5u);
}

TEST(RunStore, RunStatusTextRoundTrips) {
  for (RunStatus s : {RunStatus::planned, RunStatus::running, RunStatus::done, RunStatus::failed})
    EXPECT_EQ(run_status_from_string(to_string(s)), s);
  std::string msg = input_error_message([] { run_status_from_string("paused"); });
  EXPECT_TRUE(contains(msg, "\"paused\"")) << msg;
}

}  // namespace
}  // namespace scalelab::sweep
