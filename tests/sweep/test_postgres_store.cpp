// The PostgreSQL run store's own behaviour (the behaviour both stores share is tested on
// both in test_run_store*.cpp): migrations and the refusals that leave a database as it
// was, one-line errors that never show a password, and values that would break SQL built
// by concatenation (quotes, semicolons, non-ASCII) round-tripping on both stores.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/atomic_file.h"
#include "executor_testing.h"
#include "sweep/postgres_database.h"
#include "sweep/run_store.h"
#include "sweep/store_url.h"
#include "sweep_testing.h"

namespace scalelab::sweep {
namespace {

using sweep_testing::input_error_message;
using sweep_testing::make_result;
using sweep_testing::make_row;
using sweep_testing::postgres_server;
using sweep_testing::ScratchStore;
using sweep_testing::StoreKind;
namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(StoreUrl, RedactsThePasswordWhereverTheUrlHoldsIt) {
  StoreUrl u = parse_store_url("postgresql://ana:s3cr%40t@db.lab:5433/ladders?sslmode=require");
  EXPECT_EQ(u.redacted, "postgresql://ana@db.lab:5433/ladders?sslmode=require");
  EXPECT_EQ(u.password, "s3cr@t");
  u = parse_store_url("postgres://db.lab/ladders?password=p%3Bw&application_name=x");
  EXPECT_EQ(u.redacted, "postgres://db.lab/ladders?application_name=x");
  EXPECT_EQ(u.password, "p;w");
  u = parse_store_url("postgresql://ana@host1:5432,host2:5432/db");
  EXPECT_EQ(u.redacted, "postgresql://ana@host1:5432,host2:5432/db");
  EXPECT_TRUE(u.password.empty());
  u = parse_store_url("postgresql:///ladders");  // the local socket
  EXPECT_EQ(u.redacted, "postgresql:///ladders");
  const std::string msg = input_error_message([] { (void)parse_store_url("mysql://root:pw@h/db"); });
  EXPECT_FALSE(contains(msg, "pw")) << msg;
}

TEST(PostgresStore, CreatesTheSchemaAndRefusesANewerOneUntouched) {
  const ScratchStore where(StoreKind::postgres);
  {
    RunStore store(where.location());
    EXPECT_EQ(store.schema_version(), RunStore::kSchemaVersion);
    EXPECT_EQ(store.integrity_check(), "ok");
    store.add_runs(store.upsert_experiment("e", "", ""), {make_row("a", 1e3, 1e5)});
  }
  EXPECT_EQ(where.query("SELECT version FROM scalelab_schema"), std::to_string(RunStore::kSchemaVersion));
  RunStore again(where.location());  // reopening changes nothing
  EXPECT_EQ(again.all_runs().size(), 1u);

  where.exec("UPDATE scalelab_schema SET version = 99");
  for (StoreMode mode : {StoreMode::read_write, StoreMode::read_only}) {
    const std::string msg = input_error_message([&] { RunStore s(where.location(), mode); });
    EXPECT_EQ(msg, where.location() + ": store schema version 99 is newer than this scalelab supports (" +
                       std::to_string(RunStore::kSchemaVersion) + "); use a newer scalelab");
  }
  EXPECT_EQ(where.query("SELECT version FROM scalelab_schema"), "99");
  EXPECT_EQ(where.query("SELECT count(*) FROM runs"), "1");
}

TEST(PostgresStore, RefusesAnotherApplicationsTablesAndAnEmptyDatabaseReadOnly) {
  const ScratchStore where(StoreKind::postgres);
  std::string msg = input_error_message([&] { RunStore s(where.location(), StoreMode::read_only); });
  EXPECT_EQ(msg, where.location() + ": not a scalelab run store (empty)");
  EXPECT_EQ(where.query("SELECT to_regclass('scalelab_schema') IS NULL"), "t");  // nothing created
  where.exec("CREATE TABLE runs (x integer)");
  msg = input_error_message([&] { RunStore s(where.location()); });
  EXPECT_TRUE(contains(msg, "not a scalelab run store")) << msg;
  EXPECT_EQ(where.query("SELECT to_regclass('experiments') IS NULL"), "t");
}

// A database that a scalelab of schema version 1 wrote, with data, is migrated in place.
TEST(PostgresStore, MigratesAVersionOneDatabaseKeepingItsData) {
  const ScratchStore where(StoreKind::postgres);
  ASSERT_EQ(postgres_migrations()[0].version, 1);
  where.exec(std::string(postgres_migrations()[0].sql) +
             "CREATE TABLE scalelab_schema (version INTEGER NOT NULL); INSERT INTO scalelab_schema VALUES (1);"
             "INSERT INTO experiments (name, spec, spec_hash, created_at) VALUES ('old', 's', 'h', 't');"
             "INSERT INTO runs (experiment_id, name, config, config_hash, plan) VALUES (1, 'r', '{}', 'h', '{}');");
  RunStore store(where.location());
  EXPECT_EQ(store.schema_version(), RunStore::kSchemaVersion);
  EXPECT_EQ(store.find_run("old/r").config_hash, "h");
  store.save_probe(store.experiment("old").id, "icl", {{"n", 1}});  // version 2's table
  EXPECT_EQ(store.probe_results().size(), 1u);
}

TEST(PostgresStore, ReadOnlyRefusesWrites) {
  const ScratchStore where(StoreKind::postgres);
  { RunStore s(where.location()); }
  const RunStore ro(where.location(), StoreMode::read_only);
  EXPECT_TRUE(ro.experiments().empty());
  const std::string msg = input_error_message([&] { const_cast<RunStore&>(ro).upsert_experiment("x", "", ""); });
  EXPECT_TRUE(contains(msg, "read-only")) << msg;
}

// An unreachable server and a wrong password: one line naming the URL, never the password.
TEST(PostgresStore, ConnectionFailuresAreOneLineErrorsWithoutThePassword) {
  const auto& server = postgres_server();
  const std::string secret = "Sup3r'Secret;";
  const std::string wrong = "postgresql://scalelab:Sup3r%27Secret%3B@" + server.host + ":" + server.port + "/postgres";
  std::string msg = input_error_message([&] { RunStore s(wrong); });
  EXPECT_TRUE(contains(msg, "postgresql://scalelab@" + server.host + ":" + server.port + "/postgres: cannot connect"))
      << msg;
  EXPECT_TRUE(contains(msg, "password authentication failed")) << msg;
  EXPECT_FALSE(contains(msg, "Sup3r")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  // Port 1 on loopback: nothing listens there.
  msg = input_error_message([&] { RunStore s("postgresql://scalelab:" + secret + "@127.0.0.1:1/lab"); });
  EXPECT_TRUE(contains(msg, "postgresql://scalelab@127.0.0.1:1/lab: cannot connect to the run store")) << msg;
  EXPECT_FALSE(contains(msg, "Sup3r")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  // The right password in the URL works and is shown nowhere.
  const ScratchStore where(StoreKind::postgres);
  const std::string db = where.location().substr(where.location().rfind('/') + 1);
  const std::string with_password =
      "postgresql://scalelab:" + server.password + "@" + server.host + ":" + server.port + "/" + db;
  RunStore store(with_password);
  EXPECT_EQ(store.location(), where.location());
  const int64_t e = store.upsert_experiment("e", "", "");
  store.add_runs(e, {make_row("a", 1e3, 1e5)});
  ASSERT_TRUE(store.try_claim(store.find_run("e/a").id, RunStore::this_owner(), "abc"));
  EXPECT_FALSE(contains(store.find_run("e/a").host, server.password));
  msg = input_error_message([&] { (void)store.find_run("e/zzz"); });
  EXPECT_EQ(msg, "run 'e/zzz' is not in " + where.location());
}

// The same through the CLI: exit 2, one line naming the URL without its password; a
// database of another schema version likewise.
TEST(PostgresStore, CliErrorsAreOneLineWithExitTwo) {
  using executor_testing::start_scalelab;
  using executor_testing::wait_exit;
  const auto& server = postgres_server();
  const ScratchStore where(StoreKind::postgres);
  const std::string db = where.location().substr(where.location().rfind('/') + 1);
  auto error_of = [&](const std::string& store) {
    const fs::path log = where.dir() / "out.log";
    fs::remove(log);
    EXPECT_EQ(wait_exit(start_scalelab({"runs", "--store", store}, log)), 2) << read_file(log);
    return read_file(log);
  };
  std::string out = error_of("postgresql://scalelab:Sup3rSecret@127.0.0.1:1/" + db);
  EXPECT_TRUE(out.starts_with("error: postgresql://scalelab@127.0.0.1:1/" + db + ": cannot connect")) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_FALSE(contains(out, "Sup3rSecret")) << out;
  out = error_of("postgresql://scalelab:Sup3rSecret@" + server.host + ":" + server.port + "/" + db);
  EXPECT_TRUE(contains(out, "password authentication failed")) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_FALSE(contains(out, "Sup3rSecret")) << out;
  { RunStore s(where.location()); }
  where.exec("UPDATE scalelab_schema SET version = 7");
  out = error_of(where.location());
  EXPECT_EQ(out, "error: " + where.location() + ": store schema version 7 is newer than this scalelab supports (" +
                     std::to_string(RunStore::kSchemaVersion) + "); use a newer scalelab\n");
}

// A worker SIGKILLed while it trains, as if on another node (its owner's host rewritten):
// its run stays claimed while the heartbeat is fresh and becomes claimable once the
// heartbeat is kStaleSeconds old; the next worker resumes it from its checkpoint.
TEST(PostgresStore, AKilledWorkersRunIsClaimableOnceItsHeartbeatExpires) {
  using namespace executor_testing;
  const ScratchStore where(StoreKind::postgres);
  const fs::path dir = where.dir().path();
  write_file_atomic(dir / "spec.toml", long_runs_spec());  // runs of seconds: killed mid-run
  ASSERT_EQ(wait_exit(start_sweep(dir / "spec.toml", where.location(), dir, {"--no-train"})), 0)
      << read_file(dir / "sweep.log");
  const std::vector<std::string> worker = {"worker", "--store", where.location(), "--runs-dir",
                                           (dir / "runs").string(), "--bootstrap", "20", "--workers", "2"};
  const pid_t w = start_scalelab(worker, dir / "worker1.log");
  std::string killed;
  for (int i = 0; i < 1000 && killed.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const auto& [name, r] : by_name(where.location()))
      if (r.status == RunStatus::running && fs::exists(dir / "runs" / "t" / name / "checkpoint.bin")) killed = name;
  }
  ASSERT_FALSE(killed.empty()) << read_file(dir / "worker1.log");
  ::kill(w, SIGKILL);
  EXPECT_EQ(wait_exit(w), 128 + SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // its trainer dies with it
  RunStore store(where.location());
  const RunRecord before = store.find_run("t/" + killed);
  ASSERT_EQ(before.status, RunStatus::running);
  where.exec(fmt::format("UPDATE runs SET owner = 'node7.cluster' || substr(owner, strpos(owner, ':')) WHERE id = {}",
                         before.id));
  const std::string me = RunStore::this_owner();
  EXPECT_FALSE(store.try_claim(before.id, me));  // silent for less than kStaleSeconds: alive
  where.exec(fmt::format("UPDATE runs SET heartbeat = heartbeat - {} WHERE id = {}", RunStore::kStaleSeconds + 1,
                         before.id));
  ASSERT_TRUE(store.try_claim(before.id, me));  // expired: taken over
  ASSERT_TRUE(store.release(before.id, me));    // handed on to the next worker

  ASSERT_EQ(wait_exit(start_scalelab(worker, dir / "worker2.log")), 0) << read_file(dir / "worker2.log");
  for (const auto& [name, r] : by_name(where.location())) {
    ASSERT_EQ(r.status, RunStatus::done) << name << ": " << r.error;
    // The killed worker's runs resume: this one after the test's claim, any other at once
    // (its owner's pid is gone on this host).
    if (name == killed) {
      EXPECT_EQ(r.attempts, 3) << name;  // the killed worker, this test, the second worker
      EXPECT_TRUE(contains(read_file(dir / "runs" / "t" / name / "train.log"), "train: resuming from"));
    } else {
      EXPECT_LE(r.attempts, 2) << name;  // never trained twice to the end: at most the kill and one resume
    }
  }
}

// Names and texts that would break SQL built by concatenation round-trip on both stores.
class StoreValues : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, StoreValues, sweep_testing::StoreKinds, sweep_testing::store_kind_name);

TEST_P(StoreValues, QuotesSemicolonsAndNonAsciiRoundTrip) {
  const ScratchStore where(GetParam());
  RunStore store(where.location());
  const std::string exp_name = "it's\"; DROP TABLE runs; --";
  const std::string spec = "[experiment]\nname = 'Ünïcødé 中文 ; '' \\\" $1 ?1'\n";
  const int64_t e = store.upsert_experiment(exp_name, spec, "h'1");
  const std::vector<std::string> names = {"a'b", "x); DELETE FROM runs; --", "é-中文-🙂", "$1", "?2"};
  std::vector<RunRow> rows;
  for (size_t i = 0; i < names.size(); ++i) rows.push_back(make_row(names[i], 1e3 * (i + 1), 1e5));
  const std::vector<int64_t> ids = store.add_runs(e, rows);
  ASSERT_EQ(ids.size(), names.size());
  EXPECT_EQ(store.experiment(exp_name).spec, spec);
  EXPECT_EQ(store.experiment(exp_name).spec_hash, "h'1");
  for (size_t i = 0; i < names.size(); ++i) {
    const RunRecord r = store.find_run(exp_name + "/" + names[i]);
    EXPECT_EQ(r.id, ids[i]);
    EXPECT_EQ(r.name, names[i]);
    EXPECT_EQ(r.experiment, exp_name);
  }
  const std::string owner = "host'; --:42:tok\"en";
  ASSERT_TRUE(store.try_claim(ids[0], owner, "c'mt"));
  ASSERT_TRUE(store.fail_run(ids[0], owner, "error: can't parse \"x\"; 中文"));
  EXPECT_EQ(store.run(ids[0]).error, "error: can't parse \"x\"; 中文");
  ASSERT_TRUE(store.try_claim(ids[1], owner));
  ASSERT_TRUE(store.finish_run(ids[1], owner, make_result(1000, 1500, 100000, 3.25), {{1, 2, 3.5, 3.75, 1e-3}}));
  EXPECT_EQ(store.run(ids[1]).result["final_val_loss"], 3.25);
  store.save_probe(e, "pro'be; --", {{"text", "ç'est \"ça\""}});
  EXPECT_EQ(store.probe_result(e, "pro'be; --").value()["text"], "ç'est \"ça\"");
  store.save_fit(e, "kind'; --", {{"E", 1.5}});
  EXPECT_EQ(store.fit_kinds(e), std::vector<std::string>{"kind'; --"});
  EXPECT_EQ(store.all_runs().size(), names.size());
  EXPECT_EQ(where.query("SELECT count(*) FROM runs"), std::to_string(names.size()));
  EXPECT_EQ(store.integrity_check(), "ok");
}

}  // namespace
}  // namespace scalelab::sweep
