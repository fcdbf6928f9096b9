// defines: scalelab::sweep_testing::make_row, make_result, raw_exec, raw_query,
//          file_bytes, StoreKind, PostgresServer, postgres_server, ScratchStore,
//          StoreFixture, StoreKinds, as_unprivileged, unprivileged_open (and brings in
//          ScratchDir and input_error_message from tests/core/core_testing.h)
//
// Helpers shared by the sweep layer's tests: run rows and trainer results shaped like
// the planner's and the trainer's, direct SQL access to a store (to damage it or age it
// the way another process or version would), stores of both kinds (a SQLite file, or a
// fresh database on the test PostgreSQL server that ctest's fixture postgres_server
// starts: scripts/test_servers/postgres), and opening a store as an unprivileged user
// (root ignores file modes, and CI may run tests as root).
//
//   RunRow row = sweep_testing::make_row("n1k-d10k", 1000, 10000);
//   sweep_testing::raw_exec(dir / "s.sqlite", "PRAGMA user_version = 99");
//   ScratchStore where(StoreKind::postgres);    // a database of its own, dropped at the end
//   RunStore store(where.location());
//   where.exec("UPDATE runs SET heartbeat = 0");
#pragma once

#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>

#include "../core/core_testing.h"
#include "core/json.h"
#include "sweep/run_store.h"

namespace scalelab::sweep_testing {

using core_testing::input_error_message;
using core_testing::ScratchDir;

// A planner-like row: config names the size and budget, the hash follows the config
// unless `hash` is given.
inline sweep::RunRow make_row(const std::string& name, double N, double D, bool heldout = false,
                              const std::string& hash = "") {
  sweep::RunRow r;
  r.name = name;
  r.config = {{"model", {{"N", N}}}, {"train", {{"tokens", D}}}};
  r.config_hash = hash.empty() ? "h-" + r.config.dump() : hash;
  r.plan = {{"params", N}, {"tokens", D}, {"flops", 6 * N * D}, {"heldout", heldout}};
  return r;
}

// The fields of the trainer's summary.json that the store's readers use (train/trainer.cpp).
inline Json make_result(int64_t n_nonembedding, int64_t n_total, int64_t tokens, double val_loss) {
  const double n = static_cast<double>(n_nonembedding), d = static_cast<double>(tokens);
  return {{"complete", true},
          {"params_nonembedding", n_nonembedding},
          {"params_total", n_total},
          {"tokens_trained", tokens},
          {"flops_6nd", 6 * n * d},
          {"flops_full", 7.25 * n * d},
          {"final_val_loss", val_loss},
          {"final_val_bpb", val_loss / 0.6931471805599453 / 4.2}};
}

// Runs `sql` on the file with the plain C API (no scalelab code in between).
inline void raw_exec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << msg;
}

// The first column of the first row of `sql`, as text ("" when no row).
inline std::string raw_query(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    out = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

enum class StoreKind { sqlite, postgres };
inline std::string to_string(StoreKind k) { return k == StoreKind::sqlite ? "sqlite" : "postgres"; }
inline void PrintTo(StoreKind k, std::ostream* os) { *os << to_string(k); }  // gtest's names for the parameter
// For INSTANTIATE_TEST_SUITE_P: test names end in /sqlite and /postgres (ctest gives the
// latter the label postgres and the server fixture; tests/CMakeLists.txt).
inline const auto StoreKinds = ::testing::Values(StoreKind::sqlite, StoreKind::postgres);
inline std::string store_kind_name(const ::testing::TestParamInfo<StoreKind>& info) { return to_string(info.param); }

// The test PostgreSQL server, as scripts/test_servers/postgres wrote it down.
struct PostgresServer {
  std::string host, port, password;
  std::filesystem::path dir;  // its state directory (server.log inside)
  // A database's URL without the password (libpq finds it in PGPASSFILE, set here).
  std::string url(const std::string& db) const { return "postgresql://scalelab@" + host + ":" + port + "/" + db; }
};

inline std::string read_trimmed(const std::filesystem::path& p) {
  std::string s = file_bytes(p);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Throws (failing the test, never skipping it) when the server is not running.
inline const PostgresServer& postgres_server() {
  static const PostgresServer server = [] {
    const std::filesystem::path dir = std::filesystem::path(SCALELAB_TEST_SERVERS_DIR) / "postgres";
    if (!std::filesystem::exists(dir / "port"))
      throw std::runtime_error("the test PostgreSQL server is not running (" + dir.string() +
                               "/port is missing): ctest starts it (fixture postgres_server); by hand: "
                               "scripts/test_servers/postgres start " + dir.string());
    PostgresServer s{read_trimmed(dir / "host"), read_trimmed(dir / "port"), read_trimmed(dir / "password"), dir};
    ::setenv("PGPASSFILE", (dir / "pgpass").c_str(), 1);  // for this process and the scalelab it starts
    return s;
  }();
  return server;
}

// `sql` on a PostgreSQL database with plain libpq (no scalelab code in between); the first
// column of the first row as text ("" when none). Throws on failure.
inline std::string pg_query(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string err = PQstatus(c) == CONNECTION_OK ? "" : PQerrorMessage(c);
  std::string out;
  if (err.empty()) {
    PGresult* r = PQexec(c, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  if (!err.empty()) throw std::runtime_error(sql + ": " + err);
  return out;
}

// A store location of either kind that nothing else uses: a file in a scratch directory,
// or a fresh database on the test server, dropped at the end.
class ScratchStore {
 public:
  explicit ScratchStore(StoreKind kind) : kind_(kind) {
    if (kind == StoreKind::sqlite) {
      location_ = (dir_ / "runs.sqlite").string();
      return;
    }
    static int serial = 0;
    db_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++serial);
    const PostgresServer& s = postgres_server();
    pg_query(s.url("postgres"), "CREATE DATABASE " + db_);
    location_ = s.url(db_);
  }
  ~ScratchStore() {
    if (kind_ == StoreKind::postgres) {
      try {
        pg_query(postgres_server().url("postgres"), "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
      } catch (const std::exception&) {
      }
    }
  }
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;
  StoreKind kind() const { return kind_; }
  const std::string& location() const { return location_; }  // never holds a password
  const ScratchDir& dir() const { return dir_; }              // for run directories and logs
  // Runs `sql` on the store directly (SQLite with foreign keys on).
  void exec(const std::string& sql) const {
    if (kind_ == StoreKind::sqlite)
      raw_exec(location_, "PRAGMA foreign_keys = ON; " + sql);
    else
      pg_query(location_, sql);
  }
  std::string query(const std::string& sql) const {
    return kind_ == StoreKind::sqlite ? raw_query(location_, sql) : pg_query(location_, sql);
  }

 private:
  StoreKind kind_;
  ScratchDir dir_;
  std::string db_;
  std::string location_;
};

// A store with one experiment "exp" holding runs a, b, c.
struct StoreFixture {
  explicit StoreFixture(StoreKind kind = StoreKind::sqlite) : where(kind) {}
  ScratchStore where;
  const std::string& path = where.location();
  sweep::RunStore store{where.location()};
  int64_t exp = store.upsert_experiment("exp", "[spec]\n", "spec-hash");
  std::vector<int64_t> ids = store.add_runs(exp, {make_row("a", 1e3, 1e5), make_row("b", 2e3, 2e5),
                                                  make_row("c", 4e3, 4e5, /*heldout=*/true)});
};

// What `body` did when run by a user whom file modes bind.
struct Outcome {
  bool ran = false;     // false: could not become an unprivileged user (root without CAP_SETUID)
  bool threw = false;   // an InputError was thrown
  std::string message;  // its text, or what body returned
};

// Not root: runs `body` here. Root: forks a child that drops to nobody (uid/gid 65534),
// runs it there and reports through a pipe; the child never returns into the test
// framework. Any exception other than InputError fails the test.
inline Outcome as_unprivileged(const std::function<std::string()>& body) {
  Outcome out;
  auto attempt = [&](std::string& msg) -> int {  // 0 returned, 1 InputError, 2 other error
    try {
      msg = body();
      return 0;
    } catch (const InputError& e) {
      msg = e.what();
      return 1;
    } catch (const std::exception& e) {
      msg = e.what();
      return 2;
    }
  };
  if (::geteuid() != 0) {
    out.ran = true;
    int rc = attempt(out.message);
    EXPECT_NE(rc, 2) << out.message;
    out.threw = rc == 1;
    return out;
  }
  int fds[2];
  if (::pipe(fds) != 0) return out;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(77);
    std::string msg;
    int rc = attempt(msg);
    ssize_t ignored = ::write(fds[1], msg.data(), msg.size());
    (void)ignored;
    ::_exit(rc);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) return out;
  out.ran = true;
  EXPECT_TRUE(code == 0 || code == 1) << "child exit " << code << ": " << msg;
  out.threw = code == 1;
  out.message = msg;
  return out;
}

// Opening `path` read-write as an unprivileged user.
inline Outcome unprivileged_open(const std::filesystem::path& path) {
  return as_unprivileged([&] {
    sweep::RunStore store(path);
    return std::string("opened");
  });
}

}  // namespace scalelab::sweep_testing
