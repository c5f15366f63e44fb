// `seedline run` (and `daemon --once`) when a database write fails under it
// (docs/guarantees.md): a run that did not finish makes the command name it with its own
// state and the generation that did not commit and exit 1, without "Next steps"; runs that
// finished are not blamed, runs never started are named as such, and the message says how to
// retry.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runner/runner_testing.hpp"
#include "store/run_repo.hpp"
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
  EXPECT_NE(run.err().find("run 1 (direct, trial 0): stopped by a database error: generation "), std::string::npos)
      << run.err();
  EXPECT_NE(run.err().find("locked"), std::string::npos) << run.err();
  EXPECT_NE(run.err().find("1 of 1 runs did not finish (run 1)"), std::string::npos) << run.err();
  EXPECT_EQ(run.out().find("Next steps"), std::string::npos) << run.out();
}

TEST(RunCommand, AfterADatabaseFailureEachRunIsNamedWithItsOwnStateAndTheGenerationThatDidNotCommit) {
  TempDir dir;
  const auto db_path = dir / "locked.db";
  // Claimed trial-major: run 1 (short, trial 0) finishes, run 3 (long, trial 0) is mid-run
  // when the lock comes, runs 2 and 4 (trial 1) never start.
  auto spec = nlohmann::json::parse(testing::kCartpoleExperiment);
  spec["conditions"] = {{{"name", "short"}, {"representation", {{"type", "direct"}}}, {"ga", {{"generations", 2}}}},
                        {{"name", "long"}, {"representation", {{"type", "direct"}}}, {"ga", {{"generations", 1000000}}}}};
  seedline::testing::write_file(dir / "mixed.json", spec.dump());
  testing::Child run({"--db", db_path.string(), "run", (dir / "mixed.json").string(), "--threads", "1"}, dir.path(),
                     "run");
  int committed = 0;
  for (int i = 0; i < 3000 && committed < 2; ++i) {
    testing::sleep_seconds(0.01);
    if (!std::filesystem::exists(db_path)) continue;
    try {
      auto db = store::open_database(db_path, store::OpenPurpose::kRead);
      const auto s = store::run_summary(db, 3);
      committed = s ? s->last_generation + 1 : 0;
    } catch (const Error&) {
      // Not initialized yet.
    }
  }
  ASSERT_GE(committed, 2) << run.err();
  auto locker = store::Database::open(db_path, {store::Access::kReadWrite, 10000});
  locker.exec("BEGIN EXCLUSIVE");
  const auto [code, signal] = run.wait();
  locker.exec("ROLLBACK");
  EXPECT_EQ(signal, 0);
  EXPECT_EQ(code, 1) << run.out() << run.err();
  const std::string err = run.err();
  int last = -1;
  {
    auto db = store::open_database(db_path, store::OpenPurpose::kRead);
    EXPECT_EQ(store::find_run(db, 1)->state, store::RunState::kFinished);
    EXPECT_EQ(store::find_run(db, 3)->state, store::RunState::kRunning);  // left to its dead owner
    last = store::run_summary(db, 3)->last_generation;
  }
  ASSERT_GE(last, 1);
  EXPECT_EQ(err.find("run 1 ("), std::string::npos) << "the finished run was blamed:\n" << err;
  EXPECT_NE(err.find("run 3 (long, trial 0): stopped by a database error: generation " + std::to_string(last + 1) +
                     " was not committed (generations 0-" + std::to_string(last) + " committed, kept): "),
            std::string::npos)
      << err;
  for (const std::string never : {"run 2 (short, trial 1): never started (still queued)",
                                  "run 4 (long, trial 1): never started (still queued)"}) {
    EXPECT_NE(err.find(never), std::string::npos) << never << "\n" << err;
  }
  EXPECT_NE(err.find("3 of 4 runs did not finish (runs 2, 3, 4); the database error that ended this command: "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("retry them from their last committed generation with `seedline --db " + db_path.string() +
                     " retry --experiment 1`"),
            std::string::npos)
      << err;
  // The retry the message names puts the abandoned run back (its process is gone) without
  // running it (--queue: the long run would take days).
  const auto retry = seedline::testing::run_seedline({"--db", db_path.string(), "retry", "--experiment", "1", "--queue"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_NE(retry.out.find("run 1 (short, trial 0): finished, generations 0-1 committed: nothing to do"),
            std::string::npos)
      << retry.out;
  EXPECT_NE(retry.out.find("queued again; resumes from generation " + std::to_string(last + 1)), std::string::npos)
      << retry.out;
  EXPECT_NE(retry.out.find("3 runs in the queue"), std::string::npos) << retry.out;
  auto db = store::open_database(db_path, store::OpenPurpose::kRead);
  const auto run3 = store::find_run(db, 3).value();
  EXPECT_EQ(run3.state, store::RunState::kQueued);
  EXPECT_EQ(run3.message, "retried: resumes from generation " + std::to_string(last + 1));
}

}  // namespace
}  // namespace seedline::runner

namespace seedline::runner {
namespace {

// `daemon --once` meets the same failure: it reports what it did, then fails naming the
// exact retry command of the run it left (it used to end with the bare store error).
TEST(DaemonCommand, AClaimThatFailsEndsTheOnceDaemonNamingTheRetryCommandOfTheRunItLeft) {
  TempDir dir;
  const auto db_path = dir / "locked.db";
  std::string spec = testing::kCartpoleExperiment;
  spec.replace(spec.find("\"trials\": 2"), 11, "\"trials\": 1");
  spec.replace(spec.find("\"generations\": 6"), 16, "\"generations\": 1000000");
  seedline::testing::write_file(dir / "long.json", spec);
  ASSERT_EQ(seedline::testing::run_seedline({"--db", db_path.string(), "submit", (dir / "long.json").string()})
                .exit_code,
            0);
  testing::Child daemon({"--db", db_path.string(), "daemon", "--once", "--threads", "1"}, dir.path(), "daemon");
  bool started = false;
  for (int i = 0; i < 3000 && !started; ++i) {
    testing::sleep_seconds(0.01);
    auto db = store::open_database(db_path, store::OpenPurpose::kRead);
    const auto s = store::run_summary(db, 1);
    started = s && s->last_generation >= 1;
  }
  ASSERT_TRUE(started) << daemon.err();
  auto locker = store::Database::open(db_path, {store::Access::kReadWrite, 10000});
  locker.exec("BEGIN EXCLUSIVE");
  const auto [code, signal] = daemon.wait();
  locker.exec("ROLLBACK");
  EXPECT_EQ(signal, 0);
  EXPECT_EQ(code, 1) << daemon.out() << daemon.err();
  EXPECT_NE(daemon.out().find("0 finished, 0 paused, 0 failed, 1 handed over"), std::string::npos) << daemon.out();
  EXPECT_NE(daemon.err().find("seedline: error: stopped claiming runs: "), std::string::npos) << daemon.err();
  EXPECT_NE(daemon.err().find("; nothing committed is lost; the runs it left resume from their last committed "
                              "generation with `seedline --db " + db_path.string() + " retry --experiment 1`"),
            std::string::npos)
      << daemon.err();
}

}  // namespace
}  // namespace seedline::runner
