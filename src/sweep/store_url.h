// defines: scalelab::sweep::StoreUrl, parse_store_url
//
// A PostgreSQL run store's URL, postgresql://[user[:password]@]host[:port]/db[?k=v&...]
// (libpq's connection URI; postgres:// too), split into what may be shown and what may
// not. The password, wherever the URL holds it (user:password@ or ?password=), never
// reaches a log line, an error, the report, the store's provenance or a batch script:
// those use `redacted`; only the connection itself sees `url`. libpq also finds the user,
// host and password in PG* variables and ~/.pgpass, which is where a cluster keeps them.
//
//   StoreUrl u = parse_store_url("postgresql://ana:s3cret@db.lab/ladders");
//   u.redacted   // "postgresql://ana@db.lab/ladders"
//   u.password   // "s3cret" (percent-decoded)
#pragma once

#include <string>
#include <string_view>

namespace scalelab::sweep {

struct StoreUrl {
  std::string url;       // as given, for libpq only
  std::string redacted;  // without the password: what messages and scripts show
  std::string password;  // percent-decoded; empty when the URL holds none
};

// InputError (showing the URL without its password) when `url` is not a postgresql:// URL.
StoreUrl parse_store_url(std::string_view url);

}  // namespace scalelab::sweep
