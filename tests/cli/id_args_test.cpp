// Id arguments of the query commands (lineage, descendants, mrca, genome, phylogeny --run).
// QA found that CLI11 alone read "0x10" as 16, clamped 9223372036854775808 to 2^63-1 (so the
// error named an id the user never typed) and passed 0 and negatives on as "does not exist".
// Each is now a usage error (exit 2) quoting the text given; a well-formed unknown id is a
// runtime error (exit 1) naming it.
#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_seedline;
using testing::TempDir;

TEST(IdArguments, MalformedIdsAreUsageErrorsQuotingTheText) {
  TempDir dir;
  const std::string db = (dir / "a.db").string();
  ASSERT_EQ(run_seedline({"--db", db, "db", "init"}).exit_code, 0);
  struct Case {
    const char* text;
    int exit_code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"0", 2, "must be a positive decimal integer up to 9223372036854775807 (got '0')"},
      {"-1", 2, "(got '-1')"},
      {"0x10", 2, "(got '0x10')"},
      {"1e3", 2, "(got '1e3')"},
      {"abc", 2, "(got 'abc')"},
      {"9223372036854775808", 2, "(got '9223372036854775808')"},
      {"99999999999999999999999", 2, "(got '99999999999999999999999')"},
      {"9223372036854775807", 1, "individual 9223372036854775807 does not exist"},
      {"12", 1, "individual 12 does not exist"},
  };
  const auto out = (dir / "x.out").string();
  for (const auto& c : cases) {
    const std::vector<std::vector<std::string>> commands = {
        {"lineage", "--", c.text},
        {"descendants", "--", c.text},
        {"mrca", "--", c.text, c.text},
        {"genome", "--out", out, "--", c.text},
    };
    for (const auto& args : commands) {
      std::vector<std::string> argv = {"--db", db};
      argv.insert(argv.end(), args.begin(), args.end());
      SCOPED_TRACE(args[0] + " " + c.text);
      const auto r = run_seedline(argv);
      EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
    if (c.exit_code == 2) {
      SCOPED_TRACE(std::string("phylogeny --run ") + c.text);
      const auto r = run_seedline({"--db", db, "phylogeny", "--out", out, "--run=" + std::string(c.text)});
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace seedline
