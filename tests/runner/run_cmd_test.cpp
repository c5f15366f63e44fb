// `seedline run` when a database write fails under it (docs/guarantees.md): a run that did
// not finish makes the command name it with the reason and exit 1, without "Next steps".
#include <gtest/gtest.h>

#include "runner/runner_testing.hpp"
#include "store/run_summary.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::TempDir;

TEST(RunCommand, ALockHeldPastTheBusyTimeoutFailsTheCommandAndNamesTheRun) {
  TempDir dir;
  const auto db_path = dir / "locked.db";
  // One run far too long to finish during the test: it is always mid-run when the lock comes.
  std::string spec = testing::kCartpoleExperiment;
  spec.replace(spec.find("\"trials\": 2"), 11, "\"trials\": 1");
  spec.replace(spec.find("\"generations\": 6"), 16, "\"generations\": 1000000");
  seedline::testing::write_file(dir / "long.json", spec);

  testing::Child run({"--db", db_path.string(), "run", (dir / "long.json").string(), "--threads", "1"}, dir.path(),
                     "run");
  bool started = false;
  for (int i = 0; i < 3000 && !started; ++i) {
    testing::sleep_seconds(0.01);
    if (!std::filesystem::exists(db_path)) continue;
    try {
      auto db = store::open_database(db_path, store::OpenPurpose::kRead);
      const auto s = store::run_summary(db, 1);
      started = s && s->last_generation >= 1;
    } catch (const Error&) {
      // Not initialized yet.
    }
  }
  ASSERT_TRUE(started) << run.err();
  // Another process takes the write lock and keeps it past the run's busy timeout (10 s):
  // the run's next commit fails, then so does the claim of more work.
  auto locker = store::Database::open(db_path, {store::Access::kReadWrite, 10000});
  locker.exec("BEGIN EXCLUSIVE");
  const auto [code, signal] = run.wait();
  locker.exec("ROLLBACK");

  EXPECT_EQ(signal, 0);
  EXPECT_EQ(code, 1) << run.out() << run.err();
  EXPECT_NE(run.err().find("run 1 did not finish"), std::string::npos) << run.err();
  EXPECT_NE(run.err().find("locked"), std::string::npos) << run.err();
  EXPECT_NE(run.err().find("1 of 1 runs did not finish (run 1)"), std::string::npos) << run.err();
  EXPECT_EQ(run.out().find("Next steps"), std::string::npos) << run.out();
}

}  // namespace
}  // namespace seedline::runner
