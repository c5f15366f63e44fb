// The command line helping a user who mistyped: "did you mean" for an unknown command or
// flag, exit status 2 for every usage error, and every printed hint naming the --db given.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_seedline;
using testing::TempDir;

TEST(Usage, UnknownCommandsAndFlagsGetTheNearestName) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"statu"}, "unknown command 'statu'; did you mean 'status' or 'stats'?"},
      {{"comapre", "--experiment", "x"}, "unknown command 'comapre'; did you mean 'compare'?"},
      {{"--db", "x.db", "lineag", "3"}, "unknown command 'lineag'; did you mean 'lineage'?"},
      {{"db", "stauts"}, "unknown command 'stauts' of 'seedline db'; did you mean 'status'?"},
      {{"status", "--jsn"}, "unknown option '--jsn' for 'seedline status'; did you mean '--json'?"},
      {{"compare", "--experiment", "x", "--generaton", "3"},
       "unknown option '--generaton' for 'seedline compare'; did you mean '--generation'?"},
      {{"genome", "1", "--out", "x", "--phenotipe"}, "did you mean '--phenotype'?"},
      {{"--bd", "x.db", "status"}, "unknown option '--bd' for 'seedline'; did you mean '--db'?"},
      // A value outside a set of choices.
      {{"genome", "1", "--out", "x", "--format", "safetensor"},
       "--format: safetensor not in {safetensors,npy}; did you mean 'safetensors'?"},
      {{"compare", "--experiment", "x", "--metric", "meen"}, "--metric: meen not in {best,mean,median,evaluations,steps,seconds}; did you mean 'mean'?"},
      // Nothing close: the list of commands instead of a guess.
      {{"frobnicate"}, "unknown command 'frobnicate'; the commands are 'db', "},
  };
  for (const auto& c : cases) {
    const auto r = run_seedline(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << "expected: " << c.message << "\ngot: " << r.err;
    EXPECT_EQ(r.out, "") << c.message;
  }
}

// Every malformed command line is exit 2 before anything is opened or written.
TEST(Usage, UsageErrorsExitTwoWithoutTouchingTheDatabase) {
  TempDir dir;
  const std::string db = (dir / "never.db").string();
  const std::vector<std::vector<std::string>> cases = {
      {"--db", db, "genome", "1", "--out", (dir / "x").string(), "--format", "safetensor"},
      {"--db", db, "compare", "--experiment", "x", "--metric", "meen"},
      {"--db", db, "compare", "--experiment", "x", "--method", "fast"},
      {"--db", db, "status", "--experiment"},
      {"--db", db, "daemon", "--threads", "0"},
      {"--db", db, "lineage", "0x10"},
      {"--db", db, "serve", "--port", "70000"},
      {"--db", db},
      {"--db", db, "db"},
  };
  for (const auto& args : cases) {
    const auto r = run_seedline(args);
    std::string line;
    for (const auto& a : args) line += a + " ";
    EXPECT_EQ(r.exit_code, 2) << line << "\n" << r.err;
    EXPECT_NE(r.err.find("usage error"), std::string::npos) << line << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(db)) << line;
  }
}

TEST(Usage, HintsRepeatTheDbGiven) {
  TempDir dir;
  const std::string db = (dir / "my runs.db").string();  // a space: the hint quotes it
  const std::string quoted = "--db '" + db + "'";
  // The library's own hint ("create it with `seedline db init`") gets --db too.
  const auto missing = run_seedline({"--db", db, "status"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_NE(missing.err.find("`seedline " + quoted + " db init`"), std::string::npos) << missing.err;

  const auto plain = (dir / "plain.db").string();
  testing::write_file(dir / "e.json",
                      R"({"name": "e", "trials": 1, "task": {"type": "sphere"},
                          "network": [{"type": "dense", "in": 4, "out": 4, "bias": false}],
                          "ga": {"population": 4, "truncation": 2, "generations": 2},
                          "conditions": [{"name": "a"}]})");
  const auto submit = run_seedline({"--db", plain, "submit", (dir / "e.json").string()});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  EXPECT_NE(submit.out.find("`seedline --db " + plain + " daemon`"), std::string::npos) << submit.out;
  EXPECT_NE(submit.out.find("`seedline --db " + plain + " daemon --once --experiment 1`"), std::string::npos)
      << submit.out;

  const auto run = run_seedline({"--db", plain, "run", (dir / "e.json").string(), "--threads", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto steps = run.out.substr(run.out.find("Next steps:"));
  const auto lines = std::count(steps.begin(), steps.end(), '\n');
  EXPECT_EQ(lines, 5) << steps;
  size_t with_db = 0;
  for (size_t at = 0; (at = steps.find("seedline --db " + plain + " ", at)) != std::string::npos; ++at) ++with_db;
  EXPECT_EQ(with_db, 4u) << steps;
  // Without --db (the default or $SEEDLINE_DB) the hints stay short.
  const auto env = run_seedline({"submit", (dir / "e.json").string()}, "", {}, {"SEEDLINE_DB=" + plain});
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_NE(env.out.find("`seedline daemon`"), std::string::npos) << env.out;
}

TEST(Usage, DaemonLogLinesCarryUtcTimestamps) {
  TempDir dir;
  const std::string db = (dir / "d.db").string();
  testing::write_file(dir / "e.json",
                      R"({"name": "e", "trials": 1, "task": {"type": "sphere"},
                          "network": [{"type": "dense", "in": 4, "out": 4, "bias": false}],
                          "ga": {"population": 4, "truncation": 2, "generations": 3},
                          "conditions": [{"name": "a"}, {"name": "b"}]})");
  ASSERT_EQ(run_seedline({"--db", db, "submit", (dir / "e.json").string()}).exit_code, 0);
  const auto r = run_seedline({"--db", db, "daemon", "--once", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // stderr is not a terminal here: every line is a log line starting with the time.
  std::istringstream lines(r.err);
  std::string line;
  int n = 0;
  const std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ .+)");
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::regex_match(line, stamp)) << line;
    ++n;
  }
  EXPECT_GE(n, 5) << r.err;
  // Generations are numbered from 0, the count of those done as a fraction, and the
  // progress names the run's best so far and the experiment's ETA.
  EXPECT_NE(r.err.find("starting at generation 0 (generations 0..2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("generation 2 committed (3/3 done), best so far "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(", experiment "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(6/6 gen)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace seedline
