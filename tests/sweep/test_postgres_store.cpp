// The PostgreSQL run store's own behaviour (the behaviour both stores share is tested on
// both in test_run_store*.cpp): migrations and the refusals that leave a database as it
// was, one-line errors that never show a password, and values that would break SQL built
// by concatenation (quotes, semicolons, non-ASCII) round-tripping on both stores.
#include <gtest/gtest.h>

#include <string>

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
