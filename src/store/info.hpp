// Whole-database facts for `seedline db status` and GET /api/health.
#pragma once

#include <cstdint>

#include "store/database.hpp"

namespace seedline::store {

struct DatabaseInfo {
  int schema_version = 0;
  int64_t experiments = 0;
  int64_t runs = 0;
  int64_t individuals = 0;
  int64_t file_bytes = 0;  // the main file
  int64_t wal_bytes = 0;   // the -wal file beside it, 0 when absent
};

DatabaseInfo database_info(Database& db);

}  // namespace seedline::store
