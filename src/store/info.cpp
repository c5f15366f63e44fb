#include "store/info.hpp"

#include <filesystem>

#include "store/migrations.hpp"

namespace seedline::store {
namespace {

int64_t count(Database& db, const char* sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.column_int64(0);
}

int64_t size_or_zero(const std::filesystem::path& p) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

}  // namespace

DatabaseInfo database_info(Database& db) {
  DatabaseInfo info;
  info.schema_version = schema_version(db);
  info.experiments = count(db, "SELECT count(*) FROM experiments");
  info.runs = count(db, "SELECT count(*) FROM runs");
  info.individuals = count(db, "SELECT count(*) FROM individuals");
  info.file_bytes = size_or_zero(db.path());
  info.wal_bytes = size_or_zero(db.path().string() + "-wal");
  return info;
}

}  // namespace seedline::store
