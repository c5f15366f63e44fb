// Schema migrations and the checked way to open a seedline database.
//
// Migrations live in migrations/NNNN_name.sql and are compiled into the binary
// (cmake/embed_migrations.cmake). They are append-only: a schema change is a new file.
// All pending migrations apply in ONE BEGIN IMMEDIATE transaction that re-reads the version
// first: another process sees the file before or after, never halfway (nor applies one twice).
// The version is kept in PRAGMA user_version and, with names and times, in schema_migrations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// All migrations compiled into this binary, ordered by version (1, 2, ...).
const std::vector<Migration>& embedded_migrations();
// The newest schema version this binary knows.
int latest_schema_version();
// The newest version in `migrations` (tests pass synthetic lists).
int latest_version_of(const std::vector<Migration>& migrations);

// Marks seedline files (PRAGMA application_id), so another program's SQLite file is refused.
constexpr int32_t kApplicationId = 0x53444c4e;  // "SDLN"

// The schema version stored in the file (0 for a new, empty file).
int schema_version(Database& db);

// Applies every migration newer than the file's version; returns how many were applied.
// Throws kFailedPrecondition when the file is newer than this binary.
int migrate(Database& db, const std::vector<Migration>& migrations = embedded_migrations());

enum class OpenPurpose {
  kRead,     // read-only connection; schema must be current
  kWrite,    // writer connection; the file must exist with a current schema
  kCreate,   // writer; creates and initializes a missing or empty file, else like kWrite
  kMigrate,  // writer; an older schema is accepted (the caller migrates)
};

// Opens a seedline database for `purpose` and checks it: a foreign SQLite file, a newer
// schema ("this seedline knows up to version N") and an older one ("run `seedline db
// migrate`") are refused with an Error naming the file, before anything is written.
Database open_database(const std::filesystem::path& path, OpenPurpose purpose,
                       const std::vector<Migration>& migrations = embedded_migrations());

}  // namespace seedline::store
