// Choosing the run store's database by the --store value (store_database.h).
#include "sweep/store_database.h"

#include "core/error.h"
#include "sweep/postgres_database.h"
#include "sweep/sqlite_database.h"

namespace scalelab::sweep {

bool is_store_url(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::unique_ptr<StoreDatabase> open_store_database(const std::string& location, bool read_write) {
  if (is_store_url(location)) return open_postgres_database(location, read_write);
  SL_REQUIRE(location.find("://") == std::string::npos,
             "--store {}: expected a file path (SQLite) or a URL postgresql://[user@]host[:port]/db",
             location.substr(0, location.find("://") + 3) + "...");
  return open_sqlite_database(location, read_write);
}

Json Stmt::json(int c, std::string_view what) const {
  if (is_null(c)) return Json();
  Json j = Json::parse(text(c), nullptr, /*allow_exceptions=*/false);
  SL_REQUIRE(!j.is_discarded(), "{}: the run store is damaged: {} is not valid JSON", db_.location(), what);
  return j;
}

}  // namespace scalelab::sweep
