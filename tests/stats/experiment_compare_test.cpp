// An experiment's conditions compared at one generation: which generation, which values,
// grouped how, and the errors when there is nothing to compare.
#include "stats/experiment_compare.hpp"

#include <gtest/gtest.h>

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

TEST_F(ExperimentCompare, DefaultsToTheLastGenerationEveryRunReached) {
  const auto c = compare_experiment(db_, experiment_, Metric::kBest, std::nullopt, MwuMethod::kAuto);
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

TEST_F(ExperimentCompare, RefusesWhatCannotBeCompared) {
  struct Case {
    const char* name;
    std::optional<int> generation;
    ErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {"beyond a run", 3, ErrorCode::kFailedPrecondition, "trial 1) has not reached generation 3 (its newest is 2)"},
      {"negative", -1, ErrorCode::kInvalidArgument, "generation must be >= 0"},
  };
  for (const auto& c : cases) {
    try {
      compare_experiment(db_, experiment_, Metric::kBest, c.generation, MwuMethod::kAuto);
      ADD_FAILURE() << c.name << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), c.code) << c.name;
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << c.name << ": " << e.what();
    }
  }
}

TEST(ExperimentCompareErrors, NothingToCompareYet) {
  auto db = store::Database::open_memory();
  store::migrate(db);
  testing::FixtureExperiment one;
  one.name = "one";
  one.conditions = {"only"};
  one.runs = {{"only", 0, {1}}, {"only", 1, {2}}};
  testing::FixtureExperiment queued;
  queued.name = "queued";
  queued.conditions = {"a", "b"};
  queued.runs = {{"a", 0, {1, 2}}, {"b", 0, {}, store::RunState::kQueued}};
  const std::pair<testing::FixtureExperiment, const char*> cases[] = {
      {one, "has 1 condition(s); comparing needs at least 2"},
      {queued, "(condition 'b', trial 0) has not committed a generation yet"},
  };
  for (const auto& [fixture, message] : cases) {
    const auto ids = testing::write_experiment(db, fixture);
    try {
      compare_experiment(db, *store::find_experiment(db, ids.experiment), Metric::kBest, std::nullopt, MwuMethod::kAuto);
      ADD_FAILURE() << fixture.name << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition) << fixture.name;
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace seedline::stats
