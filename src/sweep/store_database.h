// defines: scalelab::sweep::StoreDatabase, SqlStatement, Stmt, WriteTxn,
//          open_store_database, is_store_url
//
// The run store's database behind one interface, with two implementations chosen by the
// --store value: a file path opens the embedded SQLite store (sqlite_database.cpp, the
// laptop's default), a URL postgresql://[user@]host[:port]/db opens a PostgreSQL server
// that every node and every user of a cluster shares (postgres_database.cpp). RunStore
// (run_store.cpp) holds every rule about runs, claims and owners once, above both.
//
// Each implementation creates or migrates its own schema (the same tables, versioned
// migrations in order, a newer version refused untouched) and answers in the same terms:
//   - SQL is written once, with parameters ?1, ?2, ...; every value is bound, never
//     spliced into the text (PostgreSQL receives $1, $2, ...);
//   - begin_write() starts a transaction that may write; lock_store() inside it makes
//     the writers that read-then-insert take turns (SQLite: already so, BEGIN IMMEDIATE
//     holds the one write lock; PostgreSQL: a transaction-scoped advisory lock);
//   - claim_lock() is the clause that locks one run row for a claim without waiting
//     for another claimer ("" on SQLite; FOR UPDATE SKIP LOCKED on PostgreSQL) and
//     owner_lock() the clause that locks it while its owner ends the claim.
// location() names the store in every message: the path, or the URL without a password.
//
//   std::unique_ptr<StoreDatabase> db = open_store_database("runs/store.sqlite", true);
//   WriteTxn t(*db);
//   Stmt(*db, "UPDATE runs SET forecast = ?2 WHERE id = ?1").bind_int(1, id).bind_json(2, f).run();
//   t.commit();
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/json.h"

namespace scalelab::sweep {

// One prepared statement with its bindings; step() runs it (the first call) and moves
// through its rows. Columns are 0-based, parameters 1-based. NULL reads as "" (text),
// NaN (real) or 0 (integer).
class SqlStatement {
 public:
  virtual ~SqlStatement() = default;
  virtual void bind_int(int i, int64_t v) = 0;
  virtual void bind_real(int i, double v) = 0;  // NaN binds NULL
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_null(int i) = 0;
  virtual bool step() = 0;       // true: a row is ready; false: finished
  virtual int64_t changes() = 0; // rows the finished statement inserted, updated or deleted
  virtual void reset() = 0;      // ready to run again with new bindings
  virtual bool is_null(int c) const = 0;
  virtual int64_t i64(int c) const = 0;
  virtual double f64(int c) const = 0;
  virtual std::string text(int c) const = 0;
};

class StoreDatabase {
 public:
  virtual ~StoreDatabase() = default;
  const std::string& location() const { return location_; }
  virtual std::unique_ptr<SqlStatement> prepare(std::string_view sql) = 0;
  virtual void begin_write() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  virtual void lock_store() = 0;
  virtual std::string_view claim_lock() const = 0;
  virtual std::string_view owner_lock() const = 0;
  virtual int schema_version() = 0;
  // "ok" when the database finds nothing wrong with itself, else its findings.
  virtual std::string integrity_check() = 0;

 protected:
  explicit StoreDatabase(std::string location) : location_(std::move(location)) {}

 private:
  std::string location_;
};

// Whether a --store value names a server (postgresql:// or postgres://) rather than a file.
bool is_store_url(std::string_view location);

// The database a --store value names, created or migrated to RunStore::kSchemaVersion when
// read_write. InputError naming the location (a URL without its password) when it cannot
// be opened, is not a scalelab store, or has another schema version than this scalelab can
// use; a refused store is left as it was.
std::unique_ptr<StoreDatabase> open_store_database(const std::string& location, bool read_write);

// A statement with chained binds; NULL-aware helpers for the store's columns.
class Stmt {
 public:
  Stmt(StoreDatabase& db, std::string_view sql) : db_(db), st_(db.prepare(sql)) {}
  Stmt& bind_int(int i, int64_t v) { return st_->bind_int(i, v), *this; }
  Stmt& bind_real(int i, double v) { return st_->bind_real(i, v), *this; }
  Stmt& bind_text(int i, std::string_view v) { return st_->bind_text(i, v), *this; }
  Stmt& bind_null(int i) { return st_->bind_null(i), *this; }
  // An empty text binds NULL (the schema's "not set"); a null JSON binds NULL.
  Stmt& bind_opt_text(int i, std::string_view v) { return v.empty() ? bind_null(i) : bind_text(i, v); }
  Stmt& bind_json(int i, const Json& j) { return j.is_null() ? bind_null(i) : bind_text(i, j.dump()); }
  bool step() { return st_->step(); }
  // Runs to the end; the rows it changed.
  int64_t run() {
    while (st_->step()) {
    }
    return st_->changes();
  }
  void reset() { st_->reset(); }
  bool is_null(int c) const { return st_->is_null(c); }
  int64_t i64(int c) const { return st_->i64(c); }
  double f64(int c) const { return st_->f64(c); }
  std::string text(int c) const { return st_->text(c); }
  // A JSON column; text that does not parse means the store was edited or damaged.
  Json json(int c, std::string_view what) const;

 private:
  StoreDatabase& db_;
  std::unique_ptr<SqlStatement> st_;
};

// A write transaction, rolled back when left without commit() (an exception).
class WriteTxn {
 public:
  explicit WriteTxn(StoreDatabase& db) : db_(db) { db_.begin_write(); }
  ~WriteTxn() {
    if (!committed_) db_.rollback();
  }
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;
  void commit() {
    db_.commit();
    committed_ = true;
  }

 private:
  StoreDatabase& db_;
  bool committed_ = false;
};

}  // namespace scalelab::sweep
