// Output that cannot be written whole is an error (docs/guarantees.md): a command whose
// standard output is /dev/full used to exit 0 having written nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/process.hpp"

namespace seedline::cli {
namespace {

TEST(OutputFull, AStandardOutputThatCannotBeWrittenFailsTheCommandNamingIt) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  const std::string bin = seedline::testing::seedline_bin().string();
  const std::string input = R"({"groups": {"a": [1, 2, 3.5], "b": [4, 5, 6]}})";
  // The same command to a pipe works (the reference).
  const auto ok = seedline::testing::run_process({bin, "stats", "--json"}, input);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  ASSERT_FALSE(ok.out.empty());
  const auto full = seedline::testing::run_process({"sh", "-c", "exec \"$0\" stats --json > /dev/full", bin}, input);
  EXPECT_EQ(full.exit_code, 1) << full.err;
  EXPECT_NE(full.err.find("seedline: error: cannot write the output to standard output: No space left on device"),
            std::string::npos)
      << full.err;
}

}  // namespace
}  // namespace seedline::cli
