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

// 0006 keeps every evaluator a run used: 0004's one row per run (the first evaluator) becomes
// that run's row from generation 0.
TEST(Migrations, TheFirstEvaluatorOfARunBecomesItsRowFromGenerationZero) {
  TempDir dir;
  const auto path = dir / "v5.db";
  const auto& all = embedded_migrations();
  ASSERT_GE(all.size(), 6u);
  ASSERT_EQ(all[5].version, 6);
  ASSERT_EQ(std::string(all[5].name), "run_evaluator_versions");
  const std::vector<Migration> up_to_5(all.begin(), all.begin() + 5);
  {
    auto db = open_database(path, OpenPurpose::kCreate, up_to_5);
    db.exec("INSERT INTO experiments(id, name, spec, created_at) VALUES (1, 'e', '{}', 'now')");
    db.exec("INSERT INTO conditions(id, experiment_id, name, position, config) VALUES (1, 1, 'c', 0, '{}')");
    db.exec("INSERT INTO runs(id, experiment_id, condition_id, trial, seed, noise_version, state, created_at, updated_at) "
            "VALUES (1, 1, 1, 0, 7, 1, 'finished', 'now', 'now')");
    db.exec("INSERT INTO run_evaluators(run_id, command, name, version, protocol, recorded_at) "
            "VALUES (1, '[\"env\"]', 'my-env', '1.2', 1, '2026-01-01T00:00:00Z')");
  }
  auto db = open_database(path, OpenPurpose::kMigrate);
  EXPECT_EQ(migrate(db), static_cast<int>(all.size()) - 5);
  auto st = db.prepare("SELECT run_id, generation, command, name, version, protocol, recorded_at FROM run_evaluator_versions");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int64(0), 1);
  EXPECT_EQ(st.column_int64(1), 0);
  EXPECT_EQ(st.column_text(2), "[\"env\"]");
  EXPECT_EQ(st.column_text(3), "my-env");
  EXPECT_EQ(st.column_text(4), "1.2");
  EXPECT_EQ(st.column_int64(5), 1);
  EXPECT_EQ(st.column_text(6), "2026-01-01T00:00:00Z");
  EXPECT_FALSE(st.step());
  auto old = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'run_evaluators'");
  ASSERT_TRUE(old.step());
  EXPECT_EQ(old.column_int64(0), 0);
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
