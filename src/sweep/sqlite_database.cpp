// The embedded SQLite run store (sqlite_database.h): the migrations, opening a file with
// the checks that keep a refused file untouched, and statements over the C API. Every
// write transaction is BEGIN IMMEDIATE: the write lock is taken up front, so a
// read-then-write never fails on a stale snapshot, and the busy timeout applies to the
// wait for it. Design of schema version 1 (postgres_database.cpp has the same tables):
//   experiments  one row per experiment name; the spec's TOML text and its hash.
//   runs         one row per planned run of an experiment, unique (experiment_id, name).
//                JSON columns (config, plan, result, forecast) hold Json::dump() text;
//                NULL means "not yet" for result, forecast, error, owner and the times.
//                heartbeat is unix seconds (REAL); started_at/ended_at ISO 8601 UTC text.
//   curves       one row per logged step of a run; a value the record lacks is NULL
//                (read back as NaN). Deleted with their run.
//   fits         one stored fit per (experiment, kind) as JSON text.
// Version 2 adds:
//   probe_results  one result per (experiment, probe), e.g. "emergence", "icl", "ngram",
//                  "ensemble": the probe's JSON (figures, tables, summary) as Json::dump()
//                  text and when it was saved (ISO 8601 UTC). Deleted with its experiment.
#include "sweep/sqlite_database.h"

#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "core/error.h"
#include "sweep/run_store.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

// Every SQLite failure as an exception: problems with the file or the disk are the user's
// to fix (InputError naming the path), anything else is a bug (InternalError). `what`
// says what was being done; the text carries sqlite3_errmsg.
[[noreturn]] void raise_sqlite_error(sqlite3* db, const fs::path& path, int rc, std::string_view what) {
  const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string p = path.string();
  switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_PERM:
      throw InputError(fmt::format("{}: the run store cannot be written ({}: {})", p, what, msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw InputError(fmt::format("{}: the run store stayed locked by another process for {} s ({}: {})", p,
                                   kBusyTimeoutMs / 1000, what, msg));
    case SQLITE_NOTADB:
      throw InputError(fmt::format("{}: not a scalelab run store ({})", p, msg));
    case SQLITE_CORRUPT:
      throw InputError(fmt::format("{}: the run store is damaged ({}: {})", p, what, msg));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
    case SQLITE_AUTH:
      throw InputError(fmt::format("{}: run store I/O failed ({}: {})", p, what, msg));
    default:
      throw InternalError(fmt::format("run store {}: {} failed: {} (SQLite code {})", p, what, msg, rc));
  }
}

void exec_sql(sqlite3* db, const fs::path& path, const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) raise_sqlite_error(db, path, rc, what);
}

// The first column of the first row of `sql` as an integer (0 when there is no row).
int64_t query_int(sqlite3* db, const fs::path& path, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, sqlite3_finalize);
  if (rc != SQLITE_OK) raise_sqlite_error(db, path, rc, fmt::format("preparing \"{}\"", sql));
  rc = sqlite3_step(st.get());
  if (rc == SQLITE_ROW) return sqlite3_column_int64(st.get(), 0);
  if (rc != SQLITE_DONE) raise_sqlite_error(db, path, rc, fmt::format("running \"{}\"", sql));
  return 0;
}


constexpr std::string_view kV1 = R"sql(
CREATE TABLE experiments (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  spec       TEXT NOT NULL,
  spec_hash  TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'running', 'done', 'failed')),
  config        TEXT NOT NULL,
  config_hash   TEXT NOT NULL,
  plan          TEXT NOT NULL,
  result        TEXT,
  forecast      TEXT,
  error         TEXT,
  owner         TEXT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  git_commit    TEXT,
  host          TEXT,
  started_at    TEXT,
  ended_at      TEXT,
  heartbeat     REAL,
  UNIQUE (experiment_id, name)
);
CREATE INDEX runs_by_status ON runs (experiment_id, status);

CREATE TABLE curves (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step     INTEGER NOT NULL,
  tokens   INTEGER NOT NULL,
  loss     REAL,
  val_loss REAL,
  lr       REAL,
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;

CREATE TABLE fits (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL,
  json          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  UNIQUE (experiment_id, kind)
);
)sql";

constexpr std::string_view kV2 = R"sql(
CREATE TABLE probe_results (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  probe         TEXT NOT NULL,
  result        TEXT NOT NULL,
  saved_at      TEXT NOT NULL,
  PRIMARY KEY (experiment_id, probe)
);
)sql";

constexpr std::array kMigrations = {
    StoreMigration{1, "initial schema: experiments, runs, curves, fits", kV1},
    StoreMigration{2, "probe results of the scaling-hypothesis probes", kV2},
};

std::string newer_schema_message(const fs::path& path, int version) {
  return fmt::format("{}: store schema version {} is newer than this scalelab supports ({}); use a newer scalelab",
                     path.string(), version, RunStore::kSchemaVersion);
}

fs::path directory_of(const fs::path& path) { return path.parent_path().empty() ? fs::path(".") : path.parent_path(); }

// Before SQLite sees the path: the directory must exist (created here) and be writable
// (WAL keeps "-wal" and "-shm" files beside the store), and an existing file writable.
void require_writable(const fs::path& path) {
  const std::string p = path.string();
  const fs::path dir = directory_of(path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  SL_REQUIRE(!ec, "{}: the run store cannot be written: cannot create directory {} ({})", p, dir.string(),
             ec.message());
  SL_REQUIRE(::access(dir.c_str(), W_OK) == 0, "{}: the run store cannot be written: directory {} is not writable ({})",
             p, dir.string(), std::strerror(errno));
  SL_REQUIRE(!fs::exists(path) || ::access(path.c_str(), W_OK) == 0,
             "{}: the run store cannot be written: the file is read-only ({})", p, std::strerror(errno));
}

// The SQLite URI of a read-only snapshot: "file:/abs/path?immutable=1", with the path
// percent-encoded (RFC 3986) so '?', '#' and '%' in file names survive.
std::string immutable_uri(const fs::path& path) {
  std::string out = "file:";
  for (unsigned char c : fs::absolute(path).string()) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out + "?immutable=1";
}

// Reading a WAL store needs its "-shm" file; where this user can neither find one nor
// create one (an archive in a read-only directory) the store can only be read as an
// immutable snapshot: no locks, no view of later writes, which no one can make there.
bool needs_immutable(const fs::path& path) {
  fs::path shm = path;
  shm += "-shm";
  return ::access(directory_of(path).c_str(), W_OK) != 0 && !fs::exists(shm);
}

// Applies the missing migrations in one write transaction. Another process may have
// migrated between our first look and the lock: the version is read again under it.
void migrate(sqlite3* db, const fs::path& path) {
  exec_sql(db, path, "BEGIN IMMEDIATE", "starting the migration");
  try {
    const int now = static_cast<int>(query_int(db, path, "PRAGMA user_version"));
    if (now > RunStore::kSchemaVersion) throw InputError(newer_schema_message(path, now));
    for (const StoreMigration& m : sqlite_migrations()) {
      if (m.version <= now) continue;
      const std::string sql(m.sql);
      exec_sql(db, path, sql.c_str(), fmt::format("migrating to schema version {} ({})", m.version, m.description));
    }
    exec_sql(db, path, fmt::format("PRAGMA user_version = {}", RunStore::kSchemaVersion).c_str(),
             "setting the schema version");
    exec_sql(db, path, "COMMIT", "committing the migration");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void check_and_prepare(sqlite3* db, const fs::path& path, bool read_write) {
  const std::string p = path.string();
  const int k = RunStore::kSchemaVersion;
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // Read the version before anything writes: a refused store must stay byte-identical.
  // Version and tables in one read transaction (one snapshot): another process creating
  // this store commits both at once, and two separate reads could see its tables but not
  // yet its version.
  exec_sql(db, path, "BEGIN", "reading the store schema version");
  int v = 0;
  int64_t tables = 0;
  try {
    v = static_cast<int>(query_int(db, path, "PRAGMA user_version"));
    tables = query_int(db, path, "SELECT count(*) FROM sqlite_master");
    exec_sql(db, path, "COMMIT", "reading the store schema version");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  if (v > k) throw InputError(newer_schema_message(path, v));
  SL_REQUIRE(v != 0 || tables == 0,
             "{}: a SQLite database but not a scalelab run store (it has tables and no store schema version); "
             "choose another store path", p);
  if (!read_write) {
    SL_REQUIRE(v != 0, "{}: not a scalelab run store (empty)", p);
    SL_REQUIRE(v == k, "{}: store schema version {} is older than this scalelab's ({}); open it read-write once "
               "(e.g. scalelab sweep) to migrate it", p, v, k);
  } else {
    SL_REQUIRE(sqlite3_db_readonly(db, "main") == 0, "{}: the run store cannot be written (opened read-only)", p);
    // WAL: readers and the writer do not block each other. NORMAL sync is safe in WAL: a
    // killed process loses nothing committed, a power cut at most the last commits.
    // Switching to WAL needs the database to itself and SQLite does not call the busy
    // handler for it, so two processes opening a fresh store at once retry here.
    for (int waited_ms = 0;; waited_ms += 20) {
      const int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) break;
      if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) || waited_ms >= kBusyTimeoutMs)
        raise_sqlite_error(db, path, rc, "switching to WAL");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    exec_sql(db, path, "PRAGMA synchronous=NORMAL", "setting synchronous");
    if (v < k) migrate(db, path);
  }
  exec_sql(db, path, "PRAGMA foreign_keys=ON", "enabling foreign keys");
}

// Opens (and creates or migrates) the file; the caller owns the connection.
sqlite3* open_store_file(const fs::path& path, bool read_write) {
  SL_ASSERT(static_cast<int>(sqlite_migrations().size()) == RunStore::kSchemaVersion &&
            sqlite_migrations().back().version == RunStore::kSchemaVersion);
  const std::string p = path.string();
  SL_REQUIRE(!p.empty(), "run store: empty path");
  if (read_write) {
    require_writable(path);
  } else {
    SL_REQUIRE(fs::is_regular_file(path), "{}: no such run store", p);
  }
  const bool snapshot = !read_write && needs_immutable(path);
  const int flags = read_write ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                               : (SQLITE_OPEN_READONLY | (snapshot ? SQLITE_OPEN_URI : 0));
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(snapshot ? immutable_uri(path).c_str() : p.c_str(), &db, flags, nullptr);
  try {
    if (rc != SQLITE_OK) raise_sqlite_error(db, path, rc, "opening the store");
    check_and_prepare(db, path, read_write);
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  return db;
}


// ---- statements and transactions -------------------------------------------------------

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class SqliteStatement final : public SqlStatement {
 public:
  SqliteStatement(sqlite3* db, const fs::path& path, std::string_view sql) : db_(db), path_(path), sql_(sql) {
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr);
    if (rc != SQLITE_OK) raise_sqlite_error(db, path, rc, fmt::format("preparing \"{}\"", sql));
  }
  ~SqliteStatement() override { sqlite3_finalize(st_); }

  void bind_int(int i, int64_t v) override { check(sqlite3_bind_int64(st_, i, v)); }
  void bind_real(int i, double v) override {
    check(std::isnan(v) ? sqlite3_bind_null(st_, i) : sqlite3_bind_double(st_, i, v));
  }
  void bind_text(int i, std::string_view v) override {
    check(sqlite3_bind_text64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind_null(int i) override { check(sqlite3_bind_null(st_, i)); }
  bool step() override {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    raise_sqlite_error(db_, path_, rc, fmt::format("running \"{}\"", sql_));
  }
  int64_t changes() override { return sqlite3_changes64(db_); }
  void reset() override {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  bool is_null(int c) const override { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  int64_t i64(int c) const override { return sqlite3_column_int64(st_, c); }
  double f64(int c) const override { return is_null(c) ? kNaN : sqlite3_column_double(st_, c); }
  std::string text(int c) const override {
    const unsigned char* t = sqlite3_column_text(st_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st_, c)))
             : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) raise_sqlite_error(db_, path_, rc, fmt::format("binding a parameter of \"{}\"", sql_));
  }
  sqlite3* db_;
  const fs::path& path_;
  std::string sql_;  // a copy: callers often pass a temporary
  sqlite3_stmt* st_ = nullptr;
};

class SqliteDatabase final : public StoreDatabase {
 public:
  SqliteDatabase(const fs::path& path, bool read_write)
      : StoreDatabase(path.string()), path_(path), db_(open_store_file(path, read_write)) {}
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }

  std::unique_ptr<SqlStatement> prepare(std::string_view sql) override {
    return std::make_unique<SqliteStatement>(db_, path_, sql);
  }
  void begin_write() override { exec_sql(db_, path_, "BEGIN IMMEDIATE", "starting a write transaction"); }
  void commit() override { exec_sql(db_, path_, "COMMIT", "committing"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }
  void lock_store() override {}  // BEGIN IMMEDIATE holds the database's one write lock
  std::string_view claim_lock() const override { return ""; }
  std::string_view owner_lock() const override { return ""; }
  int schema_version() override { return static_cast<int>(query_int(db_, path_, "PRAGMA user_version")); }
  std::string integrity_check() override {
    SqliteStatement s(db_, path_, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) {
      if (!out.empty()) out += '\n';
      out += s.text(0);
    }
    return out;
  }

 private:
  fs::path path_;
  sqlite3* db_;
};

}  // namespace

std::span<const StoreMigration> sqlite_migrations() { return kMigrations; }

std::unique_ptr<StoreDatabase> open_sqlite_database(const fs::path& path, bool read_write) {
  return std::make_unique<SqliteDatabase>(path, read_write);
}

}  // namespace scalelab::sweep
