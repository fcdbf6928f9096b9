// defines: scalelab::sweep::StoreMigration, store_migrations, open_store_file,
//          raise_sqlite_error, exec_sql, query_int, kBusyTimeoutMs
//
// The run store's file: its schema as an ordered list of migrations, and how a file is
// opened (checks, WAL, version refusal, migration). Internal to sweep/run_store.cpp;
// other code uses RunStore.
//
// Migration k (1-based) takes a store from PRAGMA user_version k-1 to k; version 1 is the
// initial schema. The missing steps run in order inside one BEGIN IMMEDIATE transaction
// that also sets user_version, so a store is either fully at the new version or
// untouched. To change the schema: append a step (version = previous + 1, SQL that turns
// the old tables into the new ones, e.g. ALTER TABLE ... ADD COLUMN) and raise
// RunStore::kSchemaVersion to match; never edit a step that has shipped.
//
//   sqlite3* db = open_store_file(path, /*read_write=*/true);   // at kSchemaVersion
//   exec_sql(db, path, "PRAGMA foreign_keys=ON", "enabling foreign keys");
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

struct sqlite3;

namespace scalelab::sweep {

struct StoreMigration {
  int version;                   // user_version after this step
  std::string_view description;  // one line, for error messages
  std::string_view sql;          // one or more statements, run with sqlite3_exec
};

// Ordered by version: store_migrations()[i].version == i + 1.
std::span<const StoreMigration> store_migrations();

// How long a writer waits for another connection's lock before giving up (SQLITE_BUSY).
inline constexpr int kBusyTimeoutMs = 10000;

// Opens the store at `path`, creating it (and its directory) when read_write, and brings
// it to RunStore::kSchemaVersion: WAL journal, synchronous NORMAL, busy timeout, foreign
// keys on. InputError naming the path when the file cannot be written (read_write), does
// not exist (read-only), is not a SQLite store, or has a newer (or, read-only, older)
// schema; a refused file is left byte-identical. The caller closes the connection.
sqlite3* open_store_file(const std::filesystem::path& path, bool read_write);

// Every SQLite failure as an exception: problems with the file or the disk are the user's
// to fix (InputError naming the path), anything else is a bug (InternalError). `what`
// says what was being done; the text carries sqlite3_errmsg.
[[noreturn]] void raise_sqlite_error(sqlite3* db, const std::filesystem::path& path, int rc, std::string_view what);
void exec_sql(sqlite3* db, const std::filesystem::path& path, const char* sql, std::string_view what);
// The first column of the first row of `sql` as an integer (0 when there is no row).
int64_t query_int(sqlite3* db, const std::filesystem::path& path, const char* sql);

}  // namespace scalelab::sweep
