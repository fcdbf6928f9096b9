// defines: scalelab::sweep::postgres_migrations, open_postgres_database
//
// The shared run store (store_database.h) on a PostgreSQL server, through libpq: every
// node and every user of a cluster records runs in one database. The tables are the SQLite
// store's (sqlite_database.cpp), in the connection's schema (search_path; choose another
// with ?options=-csearch_path%3Dname in the URL), with the version in a one-row table
// scalelab_schema; migrations are numbered as SQLite's and run under an advisory lock in
// one transaction, so processes opening a fresh database together create it once.
//
// Claims lock one run row with SELECT ... FOR UPDATE SKIP LOCKED: a claimer never waits
// for another, it moves on to the next ready run. Statements go to the server with their
// values as bound parameters ($1, $2, ...; text with explicit types), never in the SQL.
//
// libpq reads what the URL leaves out from PG* variables (PGHOST, PGUSER, PGPASSWORD,
// PGPASSFILE, ...) and ~/.pgpass. Messages name the URL without its password.
//
//   std::unique_ptr<StoreDatabase> db = open_postgres_database("postgresql://lab@db/ladders", true);
#pragma once

#include <memory>
#include <span>
#include <string>

#include "sweep/sqlite_database.h"
#include "sweep/store_database.h"

namespace scalelab::sweep {

// Ordered by version, numbered as sqlite_migrations().
std::span<const StoreMigration> postgres_migrations();

// InputError naming the URL without its password when the server cannot be reached or
// refuses the login, the database is another application's, or its schema version is
// newer than this scalelab's (or, read-only, older); a refused database is not modified.
std::unique_ptr<StoreDatabase> open_postgres_database(const std::string& url, bool read_write);

}  // namespace scalelab::sweep
