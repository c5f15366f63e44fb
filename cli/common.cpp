#include "common.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace seedline::cli {

std::filesystem::path resolve_db_path(const GlobalOptions& global) {
  if (!global.db.empty()) return global.db;
  if (const char* env = std::getenv("SEEDLINE_DB"); env != nullptr && *env != '\0') return env;
  return "seedline.db";
}

store::Database open_db(const GlobalOptions& global, store::OpenPurpose purpose) {
  return store::open_database(resolve_db_path(global), purpose);
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << '\n'; }

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace seedline::cli
