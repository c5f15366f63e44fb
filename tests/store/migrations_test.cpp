// Migration runner and the checked open: version bookkeeping, refusal of newer and older
// schemas, and the schema/schema.sql reference kept equal to migrations/.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>

#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::store {
namespace {

using seedline::testing::TempDir;

// name -> whitespace-normalized CREATE statement, for every table and index.
std::map<std::string, std::string> schema_objects(Database& db) {
  std::map<std::string, std::string> out;
  auto st = db.prepare(
      "SELECT type || ' ' || name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY 1");
  while (st.step()) {
    std::string sql = std::regex_replace(st.column_text(1), std::regex("\\s+"), " ");
    sql = std::regex_replace(sql, std::regex("\\s*--[^\\n]*"), "");
    out[st.column_text(0)] = sql;
  }
  return out;
}

TEST(Migrations, AreNumberedFromOneWithoutGaps) {
  const auto& all = embedded_migrations();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].version, static_cast<int>(i) + 1) << all[i].name;
  EXPECT_EQ(latest_schema_version(), all.back().version);
}

TEST(Migrations, MigratingAnEmptyDatabaseRecordsEveryVersion) {
  auto db = Database::open_memory();
  EXPECT_EQ(schema_version(db), 0);
  EXPECT_EQ(migrate(db), latest_schema_version());
  EXPECT_EQ(schema_version(db), latest_schema_version());
  auto st = db.prepare("SELECT count(*), max(version) FROM schema_migrations");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int64(0), latest_schema_version());
  EXPECT_EQ(st.column_int64(1), latest_schema_version());
  // A second run applies nothing.
  EXPECT_EQ(migrate(db), 0);
  auto tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                           "('experiments','conditions','runs','individuals','generations','snapshots')");
  tables.step();
  EXPECT_EQ(tables.column_int64(0), 6);
}

TEST(Migrations, SchemaSqlEqualsTheMigrationsApplied) {
  auto migrated = Database::open_memory();
  migrate(migrated);
  auto reference = Database::open_memory();
  reference.exec(seedline::testing::read_file(seedline::testing::source_dir() / "schema" / "schema.sql"));
  const auto a = schema_objects(migrated);
  const auto b = schema_objects(reference);
  for (const auto& [name, sql] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name << " is created by migrations but missing from schema/schema.sql";
    EXPECT_EQ(sql, it->second) << name << " differs between migrations and schema/schema.sql";
  }
  for (const auto& [name, sql] : b) {
    EXPECT_TRUE(a.count(name)) << name << " is in schema/schema.sql but no migration creates it";
  }
}

// Two synthetic migrations stand in for "a later seedline" so the older/newer cases can be
// exercised whatever the real migration count is.
const std::vector<Migration> kOne = {{1, "first", "CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT); CREATE TABLE a(x);"}};
const std::vector<Migration> kTwo = {kOne[0], {2, "second", "CREATE TABLE b(y);"}};

TEST(Migrations, AnOlderDatabaseIsRefusedUntilMigrated) {
  TempDir dir;
  const auto path = dir / "old.db";
  open_database(path, OpenPurpose::kCreate, kOne);
  const std::string before = seedline::testing::read_file(path);
  for (auto purpose : {OpenPurpose::kRead, OpenPurpose::kWrite, OpenPurpose::kCreate}) {
    try {
      open_database(path, purpose, kTwo);
      FAIL() << "an older schema was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
      EXPECT_NE(std::string(e.what()).find("seedline db migrate"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(seedline::testing::read_file(path), before);
  auto db = open_database(path, OpenPurpose::kMigrate, kTwo);
  EXPECT_EQ(migrate(db, kTwo), 1);
  EXPECT_EQ(schema_version(db), 2);
}

TEST(Migrations, ANewerDatabaseIsRefusedNamingBothVersions) {
  TempDir dir;
  const auto path = dir / "new.db";
  open_database(path, OpenPurpose::kCreate, kTwo);
  const std::string before = seedline::testing::read_file(path);
  for (auto purpose : {OpenPurpose::kRead, OpenPurpose::kWrite, OpenPurpose::kCreate, OpenPurpose::kMigrate}) {
    try {
      auto db = open_database(path, purpose, kOne);
      migrate(db, kOne);
      FAIL() << "a newer schema was accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
      EXPECT_NE(msg.find("version 2"), std::string::npos) << msg;
      EXPECT_NE(msg.find("version 1"), std::string::npos) << msg;
    }
  }
  EXPECT_EQ(seedline::testing::read_file(path), before);
}

TEST(Migrations, AForeignSqliteFileIsRefusedUntouched) {
  TempDir dir;
  const auto path = dir / "other.db";
  {
    auto db = Database::open(path, {Access::kCreate});
    db.exec("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)");
  }
  const std::string before = seedline::testing::read_file(path);
  for (auto purpose : {OpenPurpose::kRead, OpenPurpose::kCreate, OpenPurpose::kMigrate}) {
    try {
      open_database(path, purpose);
      FAIL() << "a foreign database was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not a seedline database"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(seedline::testing::read_file(path), before);
}

TEST(Migrations, OpenForReadDoesNotCreateAMissingFile) {
  TempDir dir;
  const auto path = dir / "missing.db";
  try {
    open_database(path, OpenPurpose::kRead);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("seedline db init"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Migrations, WritersUseWalAndForeignKeys) {
  TempDir dir;
  auto db = open_database(dir / "x.db", OpenPurpose::kCreate);
  auto mode = db.prepare("PRAGMA journal_mode");
  mode.step();
  EXPECT_EQ(mode.column_text(0), "wal");
  auto fk = db.prepare("PRAGMA foreign_keys");
  fk.step();
  EXPECT_EQ(fk.column_int64(0), 1);
  EXPECT_THROW(db.exec("INSERT INTO individuals(run_id, generation, seed) VALUES (999, 0, 1)"), Error);
}

}  // namespace
}  // namespace seedline::store
