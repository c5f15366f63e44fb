// Small refusals from the hostile audit (docs/guarantees.md): options that could never work
// are usage errors, a damaged schema version gets a one-line message with the fix, and a
// long output file name is not pushed over NAME_MAX by a temporary suffix.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include "store/migrations.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_seedline;
using testing::TempDir;

int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

TEST(Hardening, AnEmptyDbPathIsAUsageError) {
  TempDir dir;
  const auto r = run_seedline({"--db", "", "status"}, "", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("empty"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "seedline.db"));
}

TEST(Hardening, ATokenThatCouldNeverMatchIsRefused) {
  TempDir dir;
  const auto db = dir / "t.db";
  ASSERT_EQ(run_seedline({"--db", db.string(), "db", "init"}).exit_code, 0);
  for (const std::string token : {" ", "  ", " secret", "secret ", "tab\tinside"}) {
    testing::ServeProcess serve(db, {"--port", "0", "--token", token});
    EXPECT_EQ(serve.port(), 0) << "served with token '" << token << "'";
    EXPECT_EQ(serve.wait_exit(), 2) << "'" << token << "': " << serve.errors();
    EXPECT_NE(serve.errors().find("--token"), std::string::npos) << serve.errors();
  }
  testing::ServeProcess from_env(db, {"--port", "0"}, {"SEEDLINE_TOKEN= secret "});
  EXPECT_EQ(from_env.port(), 0);
  EXPECT_EQ(from_env.wait_exit(), 1) << from_env.errors();
  EXPECT_NE(from_env.errors().find("must not begin or end with a space"), std::string::npos) << from_env.errors();
  // A token with a space inside is fine: clients send it as it is.
  testing::ServeProcess fine(db, {"--port", "0", "--token", "two words"});
  ASSERT_NE(fine.port(), 0) << fine.errors();
  EXPECT_EQ(testing::http_get(fine.port(), "/api/health", {"Authorization: Bearer two words"}).status, 200);
}

TEST(Hardening, SchemaVersionZeroWithTablesSaysWhatHappenedInOneLine) {
  TempDir dir;
  const auto db = dir / "reset.db";
  ASSERT_EQ(run_seedline({"--db", db.string(), "db", "init"}).exit_code, 0);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version=0", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  const std::vector<std::vector<std::string>> commands = {{"status"}, {"db", "init"}, {"db", "status"}};
  for (const auto& args : commands) {
    auto full = args;
    full.insert(full.begin(), {"--db", db.string()});
    const auto r = run_seedline(full);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(lines(r.err), 1) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("schema version 0"), std::string::npos) << r.err;
    // The version schema_migrations records: the newest this binary has (it initialized the file).
    const std::string restore = "PRAGMA user_version=" + std::to_string(store::latest_schema_version());
    EXPECT_NE(r.err.find(restore), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("CREATE TABLE"), std::string::npos) << r.err;
  }
}

TEST(Hardening, GenomeOutWithAFileNameNearNameMaxIsWritten) {
  TempDir dir;
  const auto db = dir / "g.db";
  testing::write_file(dir / "tiny.json", R"({"name": "tiny", "task": {"type": "sphere"},
    "network": [{"type": "dense", "in": 2, "out": 2}],
    "ga": {"population": 4, "elites": 1, "generations": 1, "stages": [{"keep": 2}]}})");
  ASSERT_EQ(run_seedline({"--db", db.string(), "run", (dir / "tiny.json").string()}).exit_code, 0);
  const std::string name = std::string(251, 'g') + ".npy";  // 255 bytes: NAME_MAX
  const auto r = run_seedline({"--db", db.string(), "genome", "1", "--out", (dir / name).string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / name));
  // No temporary file is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace seedline
