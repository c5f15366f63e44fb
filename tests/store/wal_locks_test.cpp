// Several connections of one process to a WAL database, with another process writing: the
// process's SQLite locks must survive opening the second connection. (POSIX record locks
// belong to the process and are all dropped when it closes any descriptor of the file; the
// header check of Database::open used to open and close the file, so the writer's closing
// connection believed it was the last, checkpointed and deleted the WAL under the readers,
// and `seedline serve` then answered stale data or "database disk image is malformed".)
#include <gtest/gtest.h>

#include <filesystem>

#include "store/database.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::store {
namespace {

using seedline::testing::run_process;
using seedline::testing::TempDir;

int64_t count_rows(Database& db) {
  auto st = db.prepare("SELECT count(*) FROM t");
  EXPECT_TRUE(st.step());
  return st.column_int64(0);
}

struct Case {
  const char* name;
  Access second;  // how the second connection of this process is opened
};

TEST(WalLocks, SecondConnectionKeepsTheFirstConnectionsLocks) {
  const Case cases[] = {{"second read-only", Access::kReadOnly}, {"second read-write", Access::kReadWrite}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const auto path = dir / "wal.db";
    {
      auto w = Database::open(path, {Access::kCreate});
      w.enable_wal();
      w.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)");
    }
    auto first = Database::open(path, {Access::kReadOnly});
    ASSERT_EQ(count_rows(first), 1);  // a read: the connection now holds its WAL locks
    auto second = Database::open(path, {c.second});
    ASSERT_EQ(count_rows(second), 1);

    // Another process writes and closes its connection while ours are open.
    const auto r = run_process({"sqlite3", path.string(), "INSERT INTO t VALUES (2);"});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    EXPECT_TRUE(std::filesystem::exists(path.string() + "-wal"))
        << "the other process deleted the WAL although this process still has it open";
    EXPECT_EQ(count_rows(first), 2);
    EXPECT_EQ(count_rows(second), 2);
  }
}

}  // namespace
}  // namespace seedline::store
