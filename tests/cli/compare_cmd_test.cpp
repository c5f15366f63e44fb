// `seedline compare` as a user runs it: the JSON of GET /api/experiments/{id}/compare, a
// readable table, and one-line errors (exit 1) or usage errors (exit 2).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "http/http_fixture.hpp"
#include "http/router.hpp"
#include "support/process.hpp"

namespace seedline {
namespace {

using testing::run_seedline;

class CompareCommand : public ::testing::Test {
 protected:
  void SetUp() override { http::fixtures::fill(served_); }
  testing::ProcessResult compare(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", served_.path.string(), "compare"});
    return run_seedline(args);
  }
  http::fixtures::ServedDb served_;
};

TEST_F(CompareCommand, JsonIsWhatTheServerReturns) {
  const auto r = compare({"--experiment", "demo", "--metric", "median", "--generation", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cli = nlohmann::json::parse(r.out);
  EXPECT_EQ(cli["generation"], 1);
  EXPECT_EQ(cli["metric"], "median");
  EXPECT_EQ(cli["groups"][0]["values"], (nlohmann::json{2.5, 3.5}));  // factorized bests {3, 4} - 0.5

  auto db = store::open_database(served_.path, store::OpenPurpose::kRead);
  http::StaticFiles web{std::span<const http::EmbeddedFile>()};
  http::RouterContext ctx{db, "", web, nullptr};
  const http::Request req{http::beast_http::verb::get,
                          "/api/experiments/" + std::to_string(served_.demo.experiment) +
                              "/compare?metric=median&generation=1",
                          11};
  EXPECT_EQ(nlohmann::json::parse(http::handle_request(req, ctx).body()), cli);

  // By id as well as by name; the default generation is the last every run reached.
  const auto by_id = compare({"--experiment", std::to_string(served_.demo.experiment), "--json"});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.err;
  EXPECT_EQ(nlohmann::json::parse(by_id.out)["generation"], 2);
}

TEST_F(CompareCommand, TableShowsValuesAndStatistics) {
  const auto r = compare({"--experiment", "demo", "--method", "exact"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"experiment 'demo'", "best fitness at generation 2", "factorized  2/2     6 (",
                           "Kruskal-Wallis", "exact"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  }
}

// While runs go on: the runs that reached the generation are compared, the others counted.
TEST_F(CompareCommand, APartialExperimentIsComparedWithItsNPerCondition) {
  const auto r = compare({"--experiment", "demo", "--generation", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"best fitness at generation 3", "n/runs", "factorized  2/2", "direct      1/2",
                           "note: condition 'direct': 1 run of 2 reached generation 3", "Kruskal-Wallis"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  }
  // Given a generation, a condition without 2 runs there is left out and the table says why.
  const auto text = compare({"--experiment", "other", "--generation", "0"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("no test (comparing needs 2)"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("Kruskal-Wallis"), std::string::npos) << text.out;
}

// Issue 20, item 6: with 1 run of a condition done, the default generation is not the one
// that lone run reached: nothing is compared, and both the CLI and the server say why.
TEST_F(CompareCommand, BeforeTwoRunsOfEveryConditionHaveAGenerationNothingIsCompared) {
  const auto other = compare({"--experiment", "other", "--json"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  const auto j = nlohmann::json::parse(other.out);
  EXPECT_TRUE(j["generation"].is_null());
  EXPECT_EQ(j["groups"][0]["n"], 0);
  EXPECT_EQ(j["groups"][0]["runs_total"], 1);
  EXPECT_EQ(j["groups"][1]["n"], 0);
  EXPECT_TRUE(j["pairs"].empty());
  ASSERT_EQ(j["notes"].size(), 1u);
  EXPECT_NE(j["notes"][0].get<std::string>().find("no generation has been reached by 2 runs of every condition yet"),
            std::string::npos)
      << j["notes"][0];

  auto db = store::open_database(served_.path, store::OpenPurpose::kRead);
  http::StaticFiles web{std::span<const http::EmbeddedFile>()};
  http::RouterContext ctx{db, "", web, nullptr};
  const http::Request req{http::beast_http::verb::get,
                          "/api/experiments/" + std::to_string(served_.other.experiment) + "/compare", 11};
  EXPECT_EQ(nlohmann::json::parse(http::handle_request(req, ctx).body()), j);

  const auto text = compare({"--experiment", "other"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("experiment 'other' (id " + std::to_string(served_.other.experiment) +
                          "): no comparison yet\nnote: no generation has been reached"),
            std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("generation 0"), std::string::npos) << text.out;
}

// Issue 20, item 10: a generation past the experiment's names the valid range (it used to
// exit 0 with empty groups); with --json the error is one JSON object on stderr.
TEST_F(CompareCommand, AGenerationPastTheExperimentNamesTheRange) {
  const auto r = compare({"--experiment", "demo", "--generation", "60"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("generation 60 is out of range: experiment 'demo' has generations 0..4"), std::string::npos)
      << r.err;
  const auto j = compare({"--experiment", "demo", "--generation", "60", "--json"});
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_EQ(j.out, "");
  const auto error = nlohmann::json::parse(j.err);
  EXPECT_EQ(error["code"], 1);
  EXPECT_NE(error["error"].get<std::string>().find("has generations 0..4"), std::string::npos) << j.err;
  // The last one is in range (reached by no run yet: compared with n = 0, not an error).
  EXPECT_EQ(compare({"--experiment", "demo", "--generation", "4"}).exit_code, 0);
}

TEST_F(CompareCommand, ErrorsAreOneLine) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    const char* message;
  };
  const Case cases[] = {
      {{"--experiment", "nosuch"}, 1, "no experiment named 'nosuch'"},
      {{"--experiment", "demo", "--metric", "worst"}, 2, "--metric"},
      {{"--experiment", "demo", "--generation", "-2"}, 2, "--generation"},
      {{}, 2, "--experiment"},
  };
  for (const auto& c : cases) {
    const auto r = compare(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    if (c.exit_code == 1) {
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
  }
}

}  // namespace
}  // namespace seedline
