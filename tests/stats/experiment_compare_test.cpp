// An experiment's conditions compared at one generation: which generation, which values,
// grouped how, and what is reported when runs are missing (not an error).
#include "stats/experiment_compare.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "store/migrations.hpp"
#include "support/experiment_fixture.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

class ExperimentCompare : public ::testing::Test {
 protected:
  void SetUp() override {
    store::migrate(db_);
    testing::FixtureExperiment e;
    e.name = "cmp";
    e.conditions = {"direct", "factorized"};
    // Newest generations 3, 3, 2, 3 and 3, 3: every run has reached generation 2.
    e.runs = {{"factorized", 0, {0, 1, 4, 9}},  {"direct", 0, {0, 1, 1, 2}}, {"direct", 1, {0, 2, 3}},
              {"direct", 2, {0, 1, 2, 5}},      {"factorized", 1, {0, 1, 5, 6}},
              {"factorized", 2, {0, 2, 6, 6}}};
    ids_ = testing::write_experiment(db_, e);
    experiment_ = *store::find_experiment(db_, ids_.experiment);
  }
  store::Database db_ = store::Database::open_memory();
  testing::FixtureIds ids_;
  store::ExperimentRow experiment_;
};

TEST_F(ExperimentCompare, DefaultsToTheNewestGenerationTwoRunsOfEveryConditionReached) {
  // Two direct runs (trials 0 and 2) and all factorized runs reached 3: the default is 3,
  // with direct at n = 2 of 3 (trial 1 stopped at 2).
  const auto latest = compare_experiment(db_, experiment_, Metric::kBest, std::nullopt, MwuMethod::kAuto);
  EXPECT_EQ(latest.generation, 3);
  EXPECT_EQ(latest.groups[0].runs.size(), 2u);
  EXPECT_EQ(latest.groups[0].runs_total, 3);
  EXPECT_EQ(latest.groups[1].runs.size(), 3u);
  EXPECT_EQ(latest.comparison.pairs.size(), 1u);
  // Generation 2, which every run reached.
  const auto c = compare_experiment(db_, experiment_, Metric::kBest, 2, MwuMethod::kAuto);
  EXPECT_EQ(c.generation, 2);
  ASSERT_EQ(c.groups.size(), 2u);
  EXPECT_EQ(c.groups[0].name, "direct");
  ASSERT_EQ(c.groups[0].runs.size(), 3u);
  // By trial, the best of generation 2.
  EXPECT_EQ(c.groups[0].runs[0].value, 1);
  EXPECT_EQ(c.groups[0].runs[1].value, 3);
  EXPECT_EQ(c.groups[0].runs[2].value, 2);
  EXPECT_EQ(c.groups[0].runs[1].run, (ids_.runs.at({"direct", 1})));
  EXPECT_EQ(c.groups[1].runs[0].value, 4);
  // direct {1, 3, 2} vs factorized {4, 5, 6}: every direct value is below every factorized
  // one, so U = 0, A12 = 0 and the exact two-sided p = 2 / C(6, 3) = 0.1 (by hand).
  ASSERT_EQ(c.comparison.pairs.size(), 1u);
  EXPECT_EQ(c.comparison.pairs[0].mwu.U, 0);
  EXPECT_DOUBLE_EQ(c.comparison.pairs[0].mwu.p, 0.1);
  EXPECT_EQ(c.comparison.pairs[0].a12, 0);
  EXPECT_EQ(c.comparison.pairs[0].a, "direct");
}

TEST_F(ExperimentCompare, MetricAndGenerationPickTheColumnAndRow) {
  const auto c = compare_experiment(db_, experiment_, Metric::kMean, 1, MwuMethod::kAsymptotic);
  EXPECT_EQ(c.generation, 1);
  // mean = best - 1 in the fixture; generation 1 bests: direct {1, 2, 1}, factorized {1, 1, 2}.
  EXPECT_EQ(c.groups[0].runs[1].value, 1);
  EXPECT_EQ(c.groups[1].runs[2].value, 1);
  EXPECT_EQ(c.comparison.pairs[0].mwu.method_used, MwuMethod::kAsymptotic);
  const auto j = to_json(c);
  EXPECT_EQ(j["metric"], "mean");
  EXPECT_EQ(j["method"], "asymptotic");
  EXPECT_EQ(j["generation"], 1);
  EXPECT_EQ(j["groups"][0]["values"], (nlohmann::json{0, 1, 0}));
  EXPECT_EQ(j["groups"][0]["runs"].size(), 3u);
  for (const char* key : {"name", "runs", "values", "n", "mean", "ci95"}) EXPECT_TRUE(j["groups"][1].contains(key)) << key;
  EXPECT_TRUE(j["kruskal"].contains("H"));
  EXPECT_EQ(j["pairs"][0]["b"], "factorized");
}

TEST_F(ExperimentCompare, UsesTheRunsThatReachedTheGenerationAndReportsTheRest) {
  // Generation 3: direct trial 1 stopped at 2, so direct has n = 2 of 3 and is still compared.
  const auto c = compare_experiment(db_, experiment_, Metric::kBest, 3, MwuMethod::kExact);
  ASSERT_EQ(c.groups.size(), 2u);
  EXPECT_EQ(c.groups[0].runs.size(), 2u);
  EXPECT_EQ(c.groups[0].runs_total, 3);
  EXPECT_TRUE(c.groups[0].compared);
  EXPECT_EQ(c.groups[0].runs[0].value, 2);  // trial 0
  EXPECT_EQ(c.groups[0].runs[1].value, 5);  // trial 2
  // direct {2, 5} vs factorized {9, 6, 6}: U = 0, exact p = 2 / C(5, 2) = 0.2 (by hand).
  ASSERT_EQ(c.comparison.pairs.size(), 1u);
  EXPECT_EQ(c.comparison.pairs[0].mwu.U, 0);
  EXPECT_DOUBLE_EQ(c.comparison.pairs[0].mwu.p, 0.2);
  EXPECT_TRUE(c.notes.empty());
  // Generation 4 is beyond every run: reported with n = 0, no test, no error.
  const auto beyond = compare_experiment(db_, experiment_, Metric::kBest, 4, MwuMethod::kAuto);
  EXPECT_EQ(beyond.groups[0].runs.size(), 0u);
  EXPECT_FALSE(beyond.groups[1].compared);
  EXPECT_TRUE(beyond.comparison.pairs.empty());
  EXPECT_TRUE(std::isnan(beyond.comparison.kruskal.p));
  ASSERT_EQ(beyond.notes.size(), 3u);
  EXPECT_NE(beyond.notes[0].find("condition 'direct': 0 runs of 3 reached generation 4"), std::string::npos)
      << beyond.notes[0];
  const auto j = to_json(beyond);
  EXPECT_TRUE(j["kruskal"]["p"].is_null());
  EXPECT_EQ(j["groups"][0]["n"], 0);
  EXPECT_EQ(j["groups"][0]["runs_total"], 3);
  EXPECT_EQ(j["groups"][0]["compared"], false);
  EXPECT_EQ(j["notes"].size(), 3u);
}

TEST_F(ExperimentCompare, ANegativeGenerationIsAnError) {
  try {
    compare_experiment(db_, experiment_, Metric::kBest, -1, MwuMethod::kAuto);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("generation must be >= 0"), std::string::npos) << e.what();
  }
}

// A partial experiment, as trial-major claiming leaves it: the default generation and which
// conditions are tested follow the runs that are there.
TEST(ExperimentComparePartial, TheDefaultGenerationFollowsTheRunsThatExist) {
  auto db = store::Database::open_memory();
  store::migrate(db);
  struct Case {
    const char* name;
    std::vector<std::string> conditions;
    std::vector<testing::FixtureRun> runs;
    int generation;                 // the default chosen
    std::vector<size_t> n;          // per condition
    size_t pairs;
  };
  using S = store::RunState;
  const Case cases[] = {
      {"every condition has 2 runs at 1", {"a", "b", "c"},
       {{"a", 0, {1, 2, 3}}, {"b", 0, {1, 2, 3}}, {"c", 0, {1, 2, 3}}, {"a", 1, {1, 2}, S::kRunning},
        {"b", 1, {1, 2}, S::kRunning}, {"c", 1, {4, 5}, S::kRunning}, {"a", 2, {}, S::kQueued}},
       1, {2, 2, 2}, 3},
      {"only a and b have 2 runs", {"a", "b", "c"},
       {{"a", 0, {1, 2, 3}}, {"b", 0, {1, 2, 3}}, {"c", 0, {1, 2, 3}}, {"a", 1, {1, 2, 3}},
        {"b", 1, {1}, S::kRunning}, {"c", 1, {}, S::kQueued}},
       0, {2, 2, 1}, 1},
      {"one run each", {"a", "b"}, {{"a", 0, {1, 2}}, {"b", 0, {1}, S::kRunning}}, 1, {1, 0}, 0},
      {"nothing committed", {"a", "b"}, {{"a", 0, {}, S::kQueued}, {"b", 0, {}, S::kQueued}}, 0, {0, 0}, 0},
      {"one condition", {"only"}, {{"only", 0, {1}}, {"only", 1, {2}}}, 0, {2}, 0},
  };
  for (const auto& c : cases) {
    testing::FixtureExperiment e;
    e.name = c.name;
    e.conditions = c.conditions;
    e.runs = c.runs;
    e.generations = 3;
    const auto ids = testing::write_experiment(db, e);
    const auto r = compare_experiment(db, *store::find_experiment(db, ids.experiment), Metric::kBest, std::nullopt,
                                      MwuMethod::kAuto);
    EXPECT_EQ(r.generation, c.generation) << c.name;
    ASSERT_EQ(r.groups.size(), c.n.size()) << c.name;
    for (size_t i = 0; i < c.n.size(); ++i) EXPECT_EQ(r.groups[i].runs.size(), c.n[i]) << c.name << " condition " << i;
    EXPECT_EQ(r.comparison.pairs.size(), c.pairs) << c.name;
    EXPECT_EQ(r.notes.empty(), c.pairs > 0 && std::count(c.n.begin(), c.n.end(), size_t{1}) == 0 &&
                                   std::count(c.n.begin(), c.n.end(), size_t{0}) == 0)
        << c.name;
  }
}

}  // namespace
}  // namespace seedline::stats
