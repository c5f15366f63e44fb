// The bound on runs per experiment (conditions x trials, runner::kMaxRunsPerExperiment): a
// file asking for more is refused before anything is written, naming the figure; a file at
// the bound is stored whole, every run queued with its own seed.
#include <gtest/gtest.h>

#include "evolve/seeds.hpp"
#include "runner/submit.hpp"
#include "runner_testing.hpp"
#include "store/info.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::read_file;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

// A sphere experiment with `conditions` conditions of `trials` trials each.
std::string experiment(int conditions, int trials) {
  std::string text = R"({"name": "wide", "trials": )" + std::to_string(trials) +
                     R"(, "task": {"type": "sphere"}, "network": [{"type": "dense", "in": 2, "out": 2}],
                       "ga": {"population": 4, "elites": 1, "generations": 1, "stages": [{"keep": 2}]},
                       "conditions": [)";
  for (int i = 0; i < conditions; ++i) {
    text += std::string(i == 0 ? "" : ", ") + R"({"name": "c)" + std::to_string(i) + R"("})";
  }
  return text + "]}";
}

TEST(SubmissionBound, MoreRunsThanTheBoundAreRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  const auto db = dir / "bound.db";
  ASSERT_EQ(run_seedline({"--db", db.string(), "db", "init"}).exit_code, 0);
  const std::string before = read_file(db);
  struct Case {
    int conditions, trials;
    std::string figure;
  };
  const Case cases[] = {
      {1000, 100000, "1000 x 100000 = 100000000 runs"},  // the audit's 20 KB file: about 70 minutes
      {2, 60000, "2 x 60000 = 120000 runs"},
  };
  for (const auto& c : cases) {
    write_file(dir / "wide.json", experiment(c.conditions, c.trials));
    for (const std::string command : {"submit", "run"}) {
      const auto r = run_seedline({"--db", db.string(), command, (dir / "wide.json").string()});
      EXPECT_EQ(r.exit_code, 1) << command << ": " << r.err;
      EXPECT_NE(r.err.find(c.figure), std::string::npos) << command << ": " << r.err;
      EXPECT_NE(r.err.find("at most 100000 runs per experiment"), std::string::npos) << r.err;
      EXPECT_EQ(read_file(db), before) << command;
    }
  }
  // `run` refuses before it creates a database.
  const auto fresh = dir / "fresh.db";
  EXPECT_EQ(run_seedline({"--db", fresh.string(), "run", (dir / "wide.json").string()}).exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(fresh));
}

TEST(SubmissionBound, AnExperimentAtTheBoundIsStoredWhole) {
  TempDir dir;
  write_file(dir / "wide.json", experiment(2, 50000));
  auto db = store::open_database(dir / "at.db", store::OpenPurpose::kCreate);
  const auto s = submit_file(db, dir / "wide.json");
  ASSERT_EQ(s.runs.size(), static_cast<size_t>(kMaxRunsPerExperiment));
  const auto runs = store::list_runs(db, s.experiment_id);
  ASSERT_EQ(runs.size(), static_cast<size_t>(kMaxRunsPerExperiment));
  for (size_t i = 0; i < runs.size(); i += 9973) {  // a spread of runs, both conditions
    const int condition = static_cast<int>(i / 50000);
    EXPECT_EQ(runs[i].id, s.runs[i]);
    EXPECT_EQ(runs[i].trial, static_cast<int>(i % 50000));
    EXPECT_EQ(runs[i].seed, evolve::run_seed(0, condition, runs[i].trial)) << i;
    EXPECT_EQ(runs[i].state, store::RunState::kQueued);
  }
}

}  // namespace
}  // namespace seedline::runner
