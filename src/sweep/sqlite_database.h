// defines: scalelab::sweep::StoreMigration, sqlite_migrations, open_sqlite_database,
//          kBusyTimeoutMs
//
// The embedded run store (store_database.h): one SQLite file in WAL mode, so readers never
// block the writer and several processes on one host may share it. Internal to the sweep
// layer; other code uses RunStore.
//
// Migration k (1-based) takes a store from PRAGMA user_version k-1 to k; version 1 is the
// initial schema. The missing steps run in order inside one BEGIN IMMEDIATE transaction
// that also sets user_version, so a store is either fully at the new version or
// untouched. To change the schema: append a step here and in postgres_database.cpp
// (version = previous + 1, SQL that turns the old tables into the new ones, e.g. ALTER
// TABLE ... ADD COLUMN) and raise RunStore::kSchemaVersion to match; never edit a step
// that has shipped.
//
//   std::unique_ptr<StoreDatabase> db = open_sqlite_database(path, /*read_write=*/true);
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "sweep/store_database.h"

namespace scalelab::sweep {

struct StoreMigration {
  int version;                   // schema version after this step
  std::string_view description;  // one line, for error messages
  std::string_view sql;          // one or more statements
};

// Ordered by version: sqlite_migrations()[i].version == i + 1.
std::span<const StoreMigration> sqlite_migrations();

// How long a writer waits for another connection's lock before giving up (SQLITE_BUSY).
inline constexpr int kBusyTimeoutMs = 10000;

// Opens the store at `path`, creating it (and its directory) when read_write, and brings
// it to RunStore::kSchemaVersion: WAL journal, synchronous NORMAL, busy timeout, foreign
// keys on. InputError naming the path when the file cannot be written (read_write), does
// not exist (read-only), is not a SQLite store, or has a newer (or, read-only, older)
// schema; a refused file is left byte-identical.
std::unique_ptr<StoreDatabase> open_sqlite_database(const std::filesystem::path& path, bool read_write);

}  // namespace scalelab::sweep
