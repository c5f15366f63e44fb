// The RAII wrappers: statements, transactions and rollback.
#include "store/database.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "util/error.hpp"

namespace seedline::store {
namespace {

TEST(Database, StatementsBindAndReadEveryType) {
  auto db = Database::open_memory();
  db.exec("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n)");
  const std::vector<std::byte> blob{std::byte{0}, std::byte{255}, std::byte{7}};
  db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
      .bind(1, uint64_t{0xffffffffffffffffULL})
      .bind(2, 0.25)
      .bind(3, std::string_view("héllo"))
      .bind_blob(4, blob)
      .bind_null(5)
      .run();
  auto st = db.prepare("SELECT i, r, s, b, n FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_uint64(0), 0xffffffffffffffffULL);  // uint64 survives the int64 column
  EXPECT_EQ(st.column_double(1), 0.25);
  EXPECT_EQ(st.column_text(2), "héllo");
  EXPECT_EQ(st.column_blob(3), blob);
  EXPECT_TRUE(st.is_null(4));
  EXPECT_EQ(st.column_optional_int64(4), std::nullopt);
  EXPECT_FALSE(st.step());
}

TEST(Database, TransactionRollsBackUnlessCommitted) {
  auto db = Database::open_memory();
  db.exec("CREATE TABLE t(x)");
  {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
  }
  {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  auto st = db.prepare("SELECT group_concat(x) FROM t");
  st.step();
  EXPECT_EQ(st.column_text(0), "2");
}

TEST(Database, BadSqlNamesTheProblem) {
  auto db = Database::open_memory();
  try {
    db.prepare("SELECT * FROM no_such_table");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
  }
}

// QA: `db init` racing `db init` (and any reader racing a commit or checkpoint) failed with
// "truncated SQLite file": the writer puts the new page count in page 1 before it appends the
// pages. A file that catches up shortly is healthy; one that stays short is still refused.
TEST(Database, AFileThatIsBeingExtendedIsNotCalledTruncated) {
  testing::TempDir dir;
  const auto whole = dir / "whole.db";
  {
    auto db = Database::open(whole, {.access = Access::kCreate});
    db.exec("CREATE TABLE t (x BLOB); INSERT INTO t VALUES (zeroblob(20000))");
  }
  const std::string bytes = testing::read_file(whole);
  ASSERT_GT(bytes.size(), 8192u);
  const auto growing = dir / "growing.db";
  testing::write_file(growing, bytes.substr(0, 4096));
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    std::ofstream(growing, std::ios::binary | std::ios::app) << bytes.substr(4096);
  });
  EXPECT_NO_THROW(Database::open(growing, {.access = Access::kReadOnly}));
  writer.join();

  const auto truncated = dir / "truncated.db";
  testing::write_file(truncated, bytes.substr(0, 4096));
  try {
    Database::open(truncated, {.access = Access::kReadOnly});
    ADD_FAILURE() << "accepted a truncated file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(e.what()).find("truncated SQLite file (4096 bytes"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::read_file(truncated), bytes.substr(0, 4096));
}

}  // namespace
}  // namespace seedline::store
