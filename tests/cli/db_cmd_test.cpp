// `seedline db init | migrate | status` as a user runs them: from any directory, with the
// path from --db or $SEEDLINE_DB, and every refusal case giving one line that names the file
// and the reason while leaving the file byte-identical.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::read_file;
using testing::run_seedline;
using testing::TempDir;
using testing::write_file;

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// A refusal: exit 1, exactly one line on stderr naming the file and containing `reason`.
void expect_refusal(const testing::ProcessResult& r, const std::string& path, const std::string& reason) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
}

TEST(DbCommand, InitAndStatusWorkFromAnyDirectoryWithTheDefaultPath) {
  TempDir dir;
  auto init = run_seedline({"db", "init"}, "", dir.path());
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "seedline.db"));
  auto status = run_seedline({"db", "status", "--json"}, "", dir.path());
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j["path"], (dir / "seedline.db").string());
  EXPECT_EQ(j["schema_version"], store::latest_schema_version());
  EXPECT_EQ(j["experiments"], 0);
  EXPECT_EQ(j["runs"], 0);
  EXPECT_EQ(j["individuals"], 0);
  EXPECT_GT(j["file_bytes"].get<int64_t>(), 0);
  // Human-readable status names the same things.
  auto text = run_seedline({"db", "status"}, "", dir.path());
  EXPECT_NE(text.out.find("schema        version"), std::string::npos) << text.out;
  // A second init is harmless.
  EXPECT_EQ(run_seedline({"db", "init"}, "", dir.path()).exit_code, 0);
}

TEST(DbCommand, DbFlagWinsOverEnvironmentWhichWinsOverDefault) {
  TempDir dir;
  const auto env_db = dir / "env.db";
  const auto flag_db = dir / "flag.db";
  ASSERT_EQ(run_seedline({"db", "init"}, "", dir.path(), {"SEEDLINE_DB=" + env_db.string()}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(env_db));
  EXPECT_FALSE(std::filesystem::exists(dir / "seedline.db"));
  ASSERT_EQ(run_seedline({"--db", flag_db.string(), "db", "init"}, "", dir.path(),
                         {"SEEDLINE_DB=" + env_db.string()}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(flag_db));
}

TEST(DbCommand, StatusOnAMissingFileSaysHowToCreateIt) {
  TempDir dir;
  const auto path = dir / "nope.db";
  auto r = run_seedline({"--db", path.string(), "db", "status"});
  // The hint repeats the --db given (a plain path, so unquoted).
  expect_refusal(r, path.string(), "`seedline --db " + path.string() + " db init`");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(DbCommand, AGarbageFileIsRefusedByEveryCommandAndLeftIdentical) {
  TempDir dir;
  const auto path = dir / "garbage.db";
  std::string garbage;
  for (int i = 0; i < 300; ++i) garbage += "this is not a database, it is a shopping list\n";
  write_file(path, garbage);
  for (auto cmd : {"init", "migrate", "status"}) {
    SCOPED_TRACE(cmd);
    expect_refusal(run_seedline({"--db", path.string(), "db", cmd}), path.string(), "not a SQLite database");
    EXPECT_EQ(read_file(path), garbage);
  }
}

TEST(DbCommand, ATruncatedFileIsRefusedAndLeftIdentical) {
  TempDir dir;
  const auto path = dir / "cut.db";
  ASSERT_EQ(run_seedline({"--db", path.string(), "db", "init"}).exit_code, 0);
  const std::string whole = read_file(path);
  ASSERT_GT(whole.size(), 8192u);
  for (size_t keep : {size_t{50}, whole.size() / 2}) {
    SCOPED_TRACE(keep);
    const std::string cut = whole.substr(0, keep);
    write_file(path, cut);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
    for (auto cmd : {"init", "migrate", "status"}) {
      SCOPED_TRACE(cmd);
      expect_refusal(run_seedline({"--db", path.string(), "db", cmd}), path.string(), "truncated");
      EXPECT_EQ(read_file(path), cut);
    }
  }
}

TEST(DbCommand, ANewerSchemaIsRefusedNamingBothVersions) {
  TempDir dir;
  const auto path = dir / "future.db";
  ASSERT_EQ(run_seedline({"--db", path.string(), "db", "init"}).exit_code, 0);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const int future = store::latest_schema_version() + 7;
  ASSERT_EQ(sqlite3_exec(raw, ("PRAGMA user_version=" + std::to_string(future)).c_str(), nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  const std::string before = read_file(path);
  for (auto cmd : {"init", "migrate", "status"}) {
    SCOPED_TRACE(cmd);
    auto r = run_seedline({"--db", path.string(), "db", cmd});
    expect_refusal(r, path.string(), "version " + std::to_string(future));
    EXPECT_NE(r.err.find("version " + std::to_string(store::latest_schema_version())), std::string::npos) << r.err;
    EXPECT_EQ(read_file(path), before);
  }
}

TEST(DbCommand, ADirectoryWithoutWritePermissionIsRefused) {
  TempDir dir;
  const auto locked = dir / "locked";
  std::filesystem::create_directory(locked);
  std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec | std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                                           std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  const auto path = locked / "x.db";
  // Root ignores permission bits, so as root the child drops to nobody (65534).
  const int uid = geteuid() == 0 ? 65534 : -1;
  auto r = testing::run_process({testing::seedline_bin().string(), "--db", path.string(), "db", "init"}, "", {}, {},
                                uid);
  expect_refusal(r, path.string(), "not writable");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(DbCommand, TwoProcessesInitializingOneFileAtOnceBothSucceed) {
  TempDir dir;
  const auto path = dir / "race.db";
  for (int round = 0; round < 3; ++round) {
    std::filesystem::remove(path);
    std::vector<testing::ProcessResult> results(4);
    std::vector<std::thread> threads;
    for (auto& result : results) {
      threads.emplace_back([&result, &path] { result = run_seedline({"--db", path.string(), "db", "init"}); });
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;
    auto status = run_seedline({"--db", path.string(), "db", "status", "--json"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    EXPECT_EQ(nlohmann::json::parse(status.out)["schema_version"], store::latest_schema_version());
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(raw, "SELECT count(*) FROM schema_migrations", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), store::latest_schema_version()) << "a migration was applied twice";
    sqlite3_finalize(st);
    sqlite3_close(raw);
  }
}

TEST(DbCommand, ExitCodesSeparateUsageErrorsFromRuntimeErrors) {
  EXPECT_EQ(run_seedline({"--help"}).exit_code, 0);
  EXPECT_EQ(run_seedline({"db", "--help"}).exit_code, 0);
  auto version = run_seedline({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find(SEEDLINE_VERSION), std::string::npos) << version.out;
  EXPECT_EQ(run_seedline({"db", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_seedline({"--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(run_seedline({}).exit_code, 2);
}

}  // namespace
}  // namespace seedline
