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
    e.generations = 5;  // generation 4 is in range, reached by no run
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
  ASSERT_EQ(c.notes.size(), 1u);  // only that 3 against 3 cannot reach p < 0.05
  EXPECT_NE(c.notes[0].find("smallest exact"), std::string::npos) << c.notes[0];
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

TEST_F(ExperimentCompare, AGenerationPastTheConfiguredOnesNamesTheRange) {
  try {
    compare_experiment(db_, experiment_, Metric::kBest, 5, MwuMethod::kAuto);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("generation 5 is out of range: experiment 'cmp' has generations 0..4"),
              std::string::npos)
        << e.what();
  }
}

// 3 runs against 3 cannot give an exact p below 0.1 (scipy.stats.mannwhitneyu, method
// 'exact', of two separated samples); 4 against 4 can reach 0.0286.
TEST(SmallestExactMwuP, MatchesScipyForSeparatedSamples) {
  const struct {
    int m, n;
    double scipy;
  } cases[] = {{3, 3, 0.1},  {2, 5, 0.09523809523809523}, {4, 4, 0.02857142857142857}, {3, 4, 0.05714285714285714},
               {5, 5, 0.007936507936507936}, {1, 1, 1.0}, {2, 2, 0.3333333333333333}, {3, 6, 0.023809523809523808}};
  for (const auto& c : cases) {
    EXPECT_NEAR(smallest_exact_mwu_p(c.m, c.n), c.scipy, 1e-12) << c.m << " vs " << c.n;
    EXPECT_NEAR(smallest_exact_mwu_p(c.n, c.m), c.scipy, 1e-12) << c.n << " vs " << c.m;
    // It is what the exact test gives for such samples.
    std::vector<double> a, b;
    for (int i = 0; i < c.m; ++i) a.push_back(i);
    for (int i = 0; i < c.n; ++i) b.push_back(100 + i);
    EXPECT_NEAR(mann_whitney_u(a, b, MwuMethod::kExact).p, c.scipy, 1e-12) << c.m << " vs " << c.n;
  }
  EXPECT_EQ(smallest_exact_mwu_p(0, 3), 1.0);
  EXPECT_LT(smallest_exact_mwu_p(200, 200), 1e-100);
}

TEST_F(ExperimentCompare, SampleSizesThatCannotReachSignificanceGetANote) {
  // 3 against 3 at generation 2: the smallest exact p is 0.1.
  const auto c = compare_experiment(db_, experiment_, Metric::kBest, 2, MwuMethod::kAuto);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("smallest exact Mann-Whitney p is 0.1: no pair can reach p < 0.05"), std::string::npos)
      << c.notes[0];
  // 4 against 4 can: no note.
  auto db = store::Database::open_memory();
  store::migrate(db);
  testing::FixtureExperiment e;
  e.name = "four";
  e.conditions = {"a", "b"};
  for (int t = 0; t < 4; ++t) {
    e.runs.push_back({"a", t, {double(t)}});
    e.runs.push_back({"b", t, {double(10 + t)}});
  }
  const auto ids = testing::write_experiment(db, e);
  const auto four = compare_experiment(db, *store::find_experiment(db, ids.experiment), Metric::kBest, 0,
                                       MwuMethod::kAuto);
  EXPECT_TRUE(four.notes.empty()) << four.notes.front();
  EXPECT_EQ(four.comparison.pairs.size(), 1u);
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
    std::optional<int> generation;  // the default chosen; nullopt: nothing compared yet
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
       std::nullopt, {0, 0, 0}, 0},
      {"one run each", {"a", "b"}, {{"a", 0, {1, 2}}, {"b", 0, {1}, S::kRunning}}, std::nullopt, {0, 0}, 0},
      {"nothing committed", {"a", "b"}, {{"a", 0, {}, S::kQueued}, {"b", 0, {}, S::kQueued}}, std::nullopt, {0, 0},
       0},
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
    if (!c.generation) {
      ASSERT_EQ(r.notes.size(), 1u) << c.name;
      EXPECT_NE(r.notes[0].find("no generation has been reached by 2 runs of every condition yet"), std::string::npos)
          << r.notes[0];
      EXPECT_TRUE(to_json(r)["generation"].is_null()) << c.name;
    }
    ASSERT_EQ(r.groups.size(), c.n.size()) << c.name;
    for (size_t i = 0; i < c.n.size(); ++i) EXPECT_EQ(r.groups[i].runs.size(), c.n[i]) << c.name << " condition " << i;
    EXPECT_EQ(r.comparison.pairs.size(), c.pairs) << c.name;
    const auto left_out = std::count_if(r.notes.begin(), r.notes.end(), [](const std::string& n) {
      return n.find("smallest exact") == std::string::npos;  // the small-sample note is not about who is left out
    });
    EXPECT_EQ(left_out == 0, c.pairs > 0 && std::count(c.n.begin(), c.n.end(), size_t{1}) == 0 &&
                                   std::count(c.n.begin(), c.n.end(), size_t{0}) == 0)
        << c.name;
  }
}

}  // namespace
}  // namespace seedline::stats
