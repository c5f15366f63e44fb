// MPI error paths under a real `mpirun --oversubscribe` (docs/distributed.md, "When something
// fails"): a --wire-stats file that cannot be opened ends a job of 2 or 3 ranks at once with
// the error printed once and nothing started (it used to hang forever: rank 0 in
// MPI_Finalize, the workers waiting for its hello); one that cannot be written (/dev/full)
// stops the job with the error instead of writing nothing silently, its runs paused, and a
// plain daemon then finishes them to the history of an uninterrupted run. Every mpirun runs
// under `timeout`, so a hang fails the test rather than hanging it.
#include <gtest/gtest.h>

#include "distributed/mpi_testing.hpp"
#include "runner/runner_testing.hpp"
#include "store/run_summary.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::distributed {
namespace {

using seedline::testing::run_process;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;
namespace rt = seedline::runner::testing;

using testing::kMpiEnv;
using testing::mpirun;

// `timeout` (coreutils) ends a hung job with status 124 (SIGKILL 5 s later if need be).
constexpr const char* kJobLimitSeconds = "120";

seedline::testing::ProcessResult run_job(int ranks, const std::vector<std::string>& args) {
  auto argv = mpirun(ranks, args);
  argv.insert(argv.begin(), {"timeout", "-k", "5", kJobLimitSeconds});
  return run_process(argv, "", {}, kMpiEnv);
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(MpiErrors, AnUnopenableWireStatsPathEndsEveryRankAtOnceWithTheErrorPrintedOnce) {
  REQUIRE_MPI();
  TempDir dir;
  const auto file = dir / "sphere.json";
  write_file(file, rt::kSphereExperiment);
  const auto db = dir / "never.db";
  const std::string bad = (dir / "no-such-folder" / "wire.jsonl").string();
  for (const int ranks : {2, 3}) {
    SCOPED_TRACE(std::to_string(ranks) + " ranks");
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"--db", db.string(), "run", "--mpi", file.string(), "--threads", "1", "--wire-stats", bad},
             {"--db", db.string(), "daemon", "--mpi", "--once", "--threads", "1", "--wire-stats", bad}}) {
      const auto r = run_job(ranks, command);
      ASSERT_NE(r.exit_code, 124) << "the job hung: " << r.err;
      EXPECT_NE(r.exit_code, 0) << r.err;
      EXPECT_EQ(count(r.err, "--wire-stats " + bad + ": cannot open for writing: No such file or directory"), 1u)
          << r.err;
      EXPECT_EQ(count(r.err, "seedline: error:"), 1u) << r.err;
      EXPECT_EQ(r.err.find("rank 1"), std::string::npos) << r.err;  // no worker complained
      // Checked before anything else: the job neither created the database nor started a run.
      EXPECT_FALSE(std::filesystem::exists(db)) << r.err;
    }
  }
}

TEST(MpiErrors, AWireStatsFileThatCannotBeWrittenStopsTheJobAndItsRunsResumeToTheSameHistory) {
  REQUIRE_MPI();
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  TempDir dir;
  const auto file = dir / "sphere.json";
  write_file(file, rt::kSphereExperiment);
  const auto plain = dir / "plain.db";
  ASSERT_EQ(run_seedline({"--db", plain.string(), "run", file.string(), "--threads", "1"}).exit_code, 0);
  for (const int ranks : {1, 3}) {
    SCOPED_TRACE(std::to_string(ranks) + " ranks");
    const auto db = dir / ("full-" + std::to_string(ranks) + ".db");
    const auto r =
        run_job(ranks, {"--db", db.string(), "run", "--mpi", file.string(), "--threads", "1", "--wire-stats", "/dev/full"});
    ASSERT_NE(r.exit_code, 124) << "the job hung: " << r.err;
    EXPECT_NE(r.exit_code, 0) << r.err;
    EXPECT_EQ(count(r.err, "--wire-stats /dev/full: cannot write: No space left on device (0 of 1 generation lines"),
              1u)
        << r.err;
    EXPECT_EQ(count(r.err, "seedline: error:"), 1u) << r.err;
    {
      auto conn = store::open_database(db, store::OpenPurpose::kRead);
      const auto runs = store::run_summaries(conn, std::nullopt);
      ASSERT_EQ(runs.size(), 2u);
      // The first generation's line failed: the run stopped after committing it.
      EXPECT_EQ(runs[0].run.state, store::RunState::kPaused);
      EXPECT_EQ(runs[0].last_generation, 0);
      EXPECT_EQ(runs[1].run.state, store::RunState::kQueued);
    }
    const auto resumed = run_seedline({"--db", db.string(), "daemon", "--once", "--threads", "2"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    const auto x = rt::read_histories(plain), y = rt::read_histories(db);
    ASSERT_EQ(x.size(), y.size());
    for (const auto& [run, h] : x) {
      EXPECT_EQ(y.at(run).state, "finished") << "run " << run;
      EXPECT_EQ(rt::first_difference(h, y.at(run)), "") << "run " << run;
    }
  }
}

}  // namespace
}  // namespace seedline::distributed
