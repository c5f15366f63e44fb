// Floating-point options of `seedline daemon`. QA: CLI::Range let "nan" through (every
// comparison with NaN is false), and `daemon --poll nan` spun a core polling the database;
// `--stale-after nan` made no run ever stale.
#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_seedline;
using testing::TempDir;

TEST(NumberArguments, DaemonSecondsMustBeFiniteAndInRange) {
  TempDir dir;
  const std::string db = (dir / "a.db").string();
  ASSERT_EQ(run_seedline({"--db", db, "db", "init"}).exit_code, 0);
  struct Case {
    const char* option;
    const char* value;
    const char* message;  // nullptr: accepted
  };
  const std::vector<Case> cases = {
      {"--poll", "nan", "--poll: must be a number from 0.01 to 3600 (got 'nan')"},
      {"--poll", "inf", "(got 'inf')"},
      {"--poll", "0", "(got '0')"},
      {"--poll", "1s", "(got '1s')"},
      {"--stale-after", "NaN", "--stale-after: must be a number from 0.05 to 1e+07 (got 'NaN')"},
      {"--stale-after", "-1", "(got '-1')"},
      {"--poll", "0.5", nullptr},
      {"--stale-after", "30", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.option) + " " + c.value);
    const auto r = run_seedline({"--db", db, "daemon", "--once", std::string(c.option) + "=" + c.value});
    if (c.message == nullptr) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
      continue;
    }
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace seedline
