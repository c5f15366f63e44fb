// Exit codes a script can rely on (issue 20, item 10): Ctrl-C on `run` pauses the runs and
// exits 130, not 0 (a paused experiment looked finished); with --json an error is one JSON
// object on stderr with the same exit code as without, and stdout stays empty.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runner/runner_testing.hpp"
#include "store/run_summary.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_seedline;

TEST(ExitCodes, CtrlCOnRunPausesTheRunsAndExits130) {
  testing::TempDir dir;
  const auto db = dir / "run.db";
  std::string spec = runner::testing::kCartpoleExperiment;
  // Long enough that SIGINT lands mid-run.
  spec.replace(spec.find("\"generations\": 6"), 16, "\"generations\": 400");
  testing::write_file(dir / "long.json", spec);
  runner::testing::Child run({"--db", db.string(), "run", (dir / "long.json").string(), "--threads", "1"}, dir.path(),
                             "run");
  bool started = false;
  for (int i = 0; i < 2000 && !started; ++i) {
    if (std::filesystem::exists(db)) {
      try {
        auto rdb = store::open_database(db, store::OpenPurpose::kRead);
        const auto s = store::run_summary(rdb, 1);
        started = s && s->last_generation >= 1;
      } catch (const std::exception&) {
        // the database is still being created
      }
    }
    if (!started) runner::testing::sleep_seconds(0.01);
  }
  ASSERT_TRUE(started) << run.err();
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), std::make_pair(130, 0)) << run.err();
  EXPECT_NE(run.out().find("stopped: the unfinished runs are paused"), std::string::npos) << run.out();
  auto rdb = store::open_database(db, store::OpenPurpose::kRead);
  const auto s = store::run_summary(rdb, 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->run.state, store::RunState::kPaused);
}

TEST(ExitCodes, JsonErrorsAreOneObjectOnStderrWithTheSameCode) {
  testing::TempDir dir;
  const auto db = (dir / "j.db").string();
  ASSERT_EQ(run_seedline({"--db", db, "db", "init"}).exit_code, 0);
  struct Case {
    std::vector<std::string> args;  // without --json
    int code;
    const char* message;
  };
  const Case cases[] = {
      {{"status", "--experiment", "nosuch"}, 1, "no experiment named 'nosuch'"},
      {{"lineage", "424242"}, 1, "individual 424242 does not exist"},
      {{"compare", "--experiment", "x", "--metric", "meen"}, 2, "--metric"},  // near a built-in name: a usage error
      {{"status", "--jsno"}, 2, "did you mean '--json'?"},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.insert(args.begin(), {"--db", db});
    const auto plain = run_seedline(args);
    EXPECT_EQ(plain.exit_code, c.code) << plain.err;
    EXPECT_EQ(plain.err.rfind("seedline: ", 0), 0u) << plain.err;
    args.push_back("--json");
    const auto json = run_seedline(args);
    EXPECT_EQ(json.exit_code, c.code) << json.err;
    EXPECT_EQ(json.out, "");
    ASSERT_EQ(std::count(json.err.begin(), json.err.end(), '\n'), 1) << json.err;
    nlohmann::json error;
    ASSERT_NO_THROW(error = nlohmann::json::parse(json.err)) << json.err;
    EXPECT_EQ(error.size(), 2u) << json.err;
    EXPECT_EQ(error["code"], c.code);
    EXPECT_NE(error["error"].get<std::string>().find(c.message), std::string::npos) << json.err;
    EXPECT_EQ(json.err.find("\"error\""), 1u) << "error comes first: " << json.err;
  }
}

}  // namespace
}  // namespace seedline
