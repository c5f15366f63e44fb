// `seedline stats` as a user runs it: groups as JSON on stdin, JSON or a table on stdout,
// one-line errors with exit 1 for bad input and exit 2 for a bad flag.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace seedline {
namespace {

using testing::run_seedline;

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// The example of scipy's mannwhitneyu docstring plus a third group; scipy 1.10.1 gives
// mannwhitneyu(males, females, method='exact') = (17.0, 0.1111111111111111).
const char* kInput = R"({"groups": {"males": [19, 22, 16, 29, 24], "females": [20, 11, 17, 12],
                                    "other": [5, 5, 30, 1]}})";

TEST(StatsCommand, JsonHasTheDesignShapeWithPairsInGroupOrder) {
  const auto r = run_seedline({"stats", "--json"}, kInput);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::ordered_json::parse(r.out);
  ASSERT_TRUE(j["kruskal"]["H"].is_number());
  ASSERT_TRUE(j["kruskal"]["p"].is_number());
  ASSERT_EQ(j["pairs"].size(), 3u);
  const char* order[][2] = {{"males", "females"}, {"males", "other"}, {"females", "other"}};
  for (size_t i = 0; i < 3; ++i) {
    const auto& p = j["pairs"][i];
    EXPECT_EQ(p["a"], order[i][0]);
    EXPECT_EQ(p["b"], order[i][1]);
    for (const char* key : {"U", "p", "method"}) EXPECT_TRUE(p["mwu"].contains(key)) << key;
    for (const char* key : {"z", "p"}) EXPECT_TRUE(p["ranksums"].contains(key)) << key;
    for (const char* key : {"glass_delta", "a12", "p_holm"}) EXPECT_TRUE(p[key].is_number()) << key;
  }
  EXPECT_EQ(j["pairs"][0]["mwu"]["U"], 17.0);
  EXPECT_DOUBLE_EQ(j["pairs"][0]["mwu"]["p"].get<double>(), 0.1111111111111111);
  EXPECT_EQ(j["pairs"][0]["mwu"]["method"], "exact");
  EXPECT_EQ(j["pairs"][1]["mwu"]["method"], "asymptotic");  // "other" has a tie (5, 5)
}

TEST(StatsCommand, MethodFlagAndTable) {
  const auto r = run_seedline({"stats", "--method", "asymptotic", "--json"}, kInput);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // scipy 1.10.1: mannwhitneyu(males, females, method='asymptotic').pvalue.
  EXPECT_NEAR(j["pairs"][0]["mwu"]["p"].get<double>(), 0.11134688653314041, 1e-15);
  EXPECT_EQ(j["pairs"][0]["mwu"]["method"], "asymptotic");

  const auto table = run_seedline({"stats"}, kInput);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Kruskal-Wallis"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("males    females"), std::string::npos) << table.out;
}

TEST(StatsCommand, BadInputIsOneLineErrorExit1) {
  const std::pair<std::string, const char*> cases[] = {
      {"not json", "not valid JSON"},
      {"{}", "missing field 'groups'"},
      {R"({"groups": {"a": [1, 2]}})", "at least 2 groups"},
      {R"({"groups": {"a": [1, 2], "b": [1, "two"]}})", "group 'b': element 1 is not a number"},
      {R"({"groups": {"a": [1e999], "b": [2]}})", "not valid JSON"},  // overflows a double
      // QA: the second "a" silently replaced the first (a group's data lost without a word).
      {R"({"groups": {"a": [1, 2, 3], "a": [7, 8, 9], "b": [4, 5, 6]}})",
       "stats input: groups.a: given twice in the same object"},
      // QA: 1,000,000 nested '[' crashed with a stack overflow.
      {R"({"groups": {"a": )" + std::string(1'000'000, '[') + std::string(1'000'000, ']') + "}}",
       "stats input: values nested more than 256 levels deep"},
  };
  for (const auto& [input, message] : cases) {
    const auto r = run_seedline({"stats", "--json"}, input);
    EXPECT_EQ(r.exit_code, 1) << input;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// QA: stdin was read without bound, so `seedline stats < /dev/zero` ran until it was killed.
TEST(StatsCommand, EndlessInputIsRefused) {
  const auto r =
      seedline::testing::run_process({"/bin/sh", "-c", std::string("exec ") + SEEDLINE_BIN + " stats < /dev/zero"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("stats input on stdin is larger than 256 MiB"), std::string::npos) << r.err;
}

TEST(StatsCommand, BadMethodIsUsageErrorExit2) {
  const auto r = run_seedline({"stats", "--method", "fast"}, kInput);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--method"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace seedline
