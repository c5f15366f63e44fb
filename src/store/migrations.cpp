#include "store/migrations.hpp"

#include <sqlite3.h>

#include "util/error.hpp"

namespace seedline::store {
namespace {

int32_t application_id(Database& db) {
  auto st = db.prepare("PRAGMA application_id");
  st.step();
  return static_cast<int32_t>(st.column_int64(0));
}

bool has_tables(Database& db) {
  auto st = db.prepare("SELECT count(*) FROM sqlite_master");
  st.step();
  return st.column_int64(0) > 0;
}

// Refuses a file that another program made, and a schema newer than this binary.
void check_identity(Database& db, int latest) {
  const int32_t app = application_id(db);
  if (app != kApplicationId && (app != 0 || has_tables(db))) {
    corruption(db.path().string() + ": not a seedline database (SQLite file of another application)");
  }
  const int version = schema_version(db);
  if (version > latest) {
    failed_precondition(db.path().string() + ": database schema version " + std::to_string(version) +
                        " is newer than this seedline (knows up to version " + std::to_string(latest) +
                        "); upgrade seedline");
  }
}

void require_current(Database& db, int latest) {
  const int version = schema_version(db);
  if (version == 0) {
    failed_precondition(db.path().string() + ": database is not initialized; run `seedline db init`");
  }
  if (version < latest) {
    failed_precondition(db.path().string() + ": database schema version " + std::to_string(version) +
                        " is older than this seedline's " + std::to_string(latest) +
                        "; run `seedline db migrate`");
  }
}

}  // namespace

int latest_version_of(const std::vector<Migration>& migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

int latest_schema_version() { return latest_version_of(embedded_migrations()); }

int schema_version(Database& db) {
  auto st = db.prepare("PRAGMA user_version");
  st.step();
  return static_cast<int>(st.column_int64(0));
}

int migrate(Database& db, const std::vector<Migration>& migrations) {
  const int latest = latest_version_of(migrations);
  check_identity(db, latest);
  int applied = 0;
  for (const Migration& m : migrations) {
    Transaction tx(db);
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const int current = schema_version(db);
    if (current > latest) check_identity(db, latest);
    if (m.version <= current) continue;
    if (m.version != current + 1) {
      fail(ErrorCode::kInternal, "migration " + std::to_string(m.version) + " does not follow version " +
                                     std::to_string(current));
    }
    if (current == 0) db.exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    db.exec(m.sql);
    auto ins = db.prepare(
        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))");
    ins.bind(1, m.version).bind(2, std::string_view(m.name)).run();
    db.exec("PRAGMA user_version=" + std::to_string(m.version));
    tx.commit();
    ++applied;
  }
  return applied;
}

Database open_database(const std::filesystem::path& path, OpenPurpose purpose,
                       const std::vector<Migration>& migrations) {
  const int latest = latest_version_of(migrations);
  ConnectionOptions options;
  options.access = purpose == OpenPurpose::kRead     ? Access::kReadOnly
                   : purpose == OpenPurpose::kCreate ? Access::kCreate
                                                     : Access::kReadWrite;
  Database db = Database::open(path, options);
  check_identity(db, latest);
  switch (purpose) {
    case OpenPurpose::kRead:
      require_current(db, latest);
      break;
    case OpenPurpose::kWrite:
      require_current(db, latest);
      db.enable_wal();
      break;
    case OpenPurpose::kCreate:
      if (schema_version(db) == 0) {
        db.enable_wal();
        migrate(db, migrations);
      } else {
        require_current(db, latest);
        db.enable_wal();
      }
      break;
    case OpenPurpose::kMigrate:
      db.enable_wal();
      break;
  }
  return db;
}

}  // namespace seedline::store
