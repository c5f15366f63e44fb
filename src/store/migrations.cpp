#include "store/migrations.hpp"

#include <sqlite3.h>

#include "util/error.hpp"

namespace seedline::store {
namespace {

struct Identity {
  int32_t application_id = 0;
  int64_t objects = 0;
  int version = 0;
};

// One statement, so one consistent read even while another process commits a migration.
Identity read_identity(Database& db) {
  auto st = db.prepare(
      "SELECT a.application_id, (SELECT count(*) FROM sqlite_master), v.user_version "
      "FROM pragma_application_id AS a, pragma_user_version AS v");
  st.step();
  return {static_cast<int32_t>(st.column_int64(0)), st.column_int64(1), static_cast<int>(st.column_int64(2))};
}

// Refuses a file that another program made, and a schema newer than this binary.
void check_identity(Database& db, int latest) {
  const Identity id = read_identity(db);
  if (id.application_id != kApplicationId && (id.application_id != 0 || id.objects > 0)) {
    corruption(db.path().string() + ": not a seedline database (SQLite file of another application)");
  }
  const int version = id.version;
  if (version == 0 && id.objects > 0) {
    // Tables but no version: PRAGMA user_version was reset (by hand, or a tool that copied the
    // tables but not the header). `db init` would fail on the first CREATE TABLE, so say so.
    std::string recorded;
    try {
      auto st = db.prepare("SELECT max(version) FROM schema_migrations");
      if (st.step() && !st.is_null(0)) recorded = std::to_string(st.column_int64(0));
    } catch (const Error&) {
      // No schema_migrations table: nothing to suggest.
    }
    failed_precondition(db.path().string() + ": has seedline tables but schema version 0 (PRAGMA user_version " +
                        "was reset), so it can be neither used nor initialized" +
                        (recorded.empty() ? std::string()
                                          : "; its schema_migrations table records version " + recorded +
                                                ": restore it with `sqlite3 " + db.path().string() +
                                                " 'PRAGMA user_version=" + recorded + "'`"));
  }
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
  // One transaction for every pending migration: a process opening the file meanwhile (a
  // concurrent `db init`) must never see version 2 of 3 and refuse it as older.
  Transaction tx(db);
  // Re-read inside the write lock: another process may have migrated meanwhile.
  const int first = schema_version(db);
  if (first > latest) check_identity(db, latest);
  for (const Migration& m : migrations) {
    const int current = schema_version(db);
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
    ++applied;
  }
  tx.commit();
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
