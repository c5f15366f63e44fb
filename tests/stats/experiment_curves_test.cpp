// Curves of an experiment: downsampling, per-generation mean with Student-t CI, n and each
// run's series, on hand-computed small cases.
#include "stats/experiment_curves.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "store/migrations.hpp"
#include "support/experiment_fixture.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

// t(0.975, df=1) = tan(0.475·pi) in closed form (the Cauchy quantile), from Python's math.tan.
constexpr double kT1 = 12.706204736174696;

TEST(DownsampleIndices, EvenlySpacedKeepingBothEnds) {
  struct Case {
    size_t count, max_points;
    std::vector<size_t> expected;  // by hand: round(i·(count-1)/(max_points-1))
  };
  const Case cases[] = {
      {0, 5, {}},
      {1, 2, {0}},
      {3, 3, {0, 1, 2}},
      {10, 4, {0, 3, 6, 9}},
      {7, 3, {0, 3, 6}},
      {5, 4, {0, 1, 3, 4}},
      {301, 2, {0, 300}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(downsample_indices(c.count, c.max_points), c.expected) << c.count << " to " << c.max_points;
  }
}

TEST(DownsampleIndices, ManyPointsAreDistinctAndAscending) {
  const auto keep = downsample_indices(300, 200);
  ASSERT_EQ(keep.size(), 200u);
  EXPECT_EQ(keep.front(), 0u);
  EXPECT_EQ(keep.back(), 299u);
  for (size_t i = 1; i < keep.size(); ++i) EXPECT_GT(keep[i], keep[i - 1]) << i;
}

TEST(ConditionCurve, MeanCiAndNAcrossRunsOfDifferentLength) {
  // Run 1 reached generation 2, run 2 only generation 1.
  const std::vector<RunPoints> runs = {
      {11, 0, {{0, 1.0}, {1, 2.0}, {2, 4.0}}},
      {12, 1, {{0, 3.0}, {1, 5.0}}},
  };
  const auto c = condition_curve("a", runs, 200);
  EXPECT_EQ(c.generations, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(c.n, (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(c.mean, (std::vector<double>{2.0, 3.5, 4.0}));
  // Generation 0: {1, 3}: sd √2, sem 1. Generation 1: {2, 5}: sd √4.5, sem 1.5.
  EXPECT_NEAR(c.lo[0], 2.0 - kT1, 1e-9);
  EXPECT_NEAR(c.hi[0], 2.0 + kT1, 1e-9);
  EXPECT_NEAR(c.lo[1], 3.5 - 1.5 * kT1, 1e-9);
  EXPECT_NEAR(c.hi[1], 3.5 + 1.5 * kT1, 1e-9);
  // A single run: the interval collapses to the mean.
  EXPECT_EQ(c.lo[2], 4.0);
  EXPECT_EQ(c.hi[2], 4.0);
  ASSERT_EQ(c.runs.size(), 2u);
  EXPECT_EQ(c.runs[0].run, 11);
  EXPECT_EQ(c.runs[1].values[1], 5.0);
  EXPECT_FALSE(c.runs[1].values[2].has_value());
}

TEST(ConditionCurve, NonFiniteValuesAreLeftOutOfTheMean) {
  const std::vector<RunPoints> runs = {
      {1, 0, {{0, NAN}, {1, 2.0}}},
      {2, 1, {{0, 6.0}, {1, 4.0}}},
  };
  const auto c = condition_curve("a", runs, 200);
  EXPECT_EQ(c.n, (std::vector<int>{1, 2}));
  EXPECT_EQ(c.mean[0], 6.0);
  EXPECT_FALSE(c.runs[0].values[0].has_value());
  const auto j = to_json(ExperimentCurves{1, Metric::kBest, {c}});
  EXPECT_TRUE(j["conditions"][0]["runs"][0]["values"][0].is_null());
}

TEST(ConditionCurve, DownsamplesToMaxPointsKeepingFirstAndLast) {
  RunPoints r{1, 0, {}};
  for (int g = 0; g < 10; ++g) r.points.emplace_back(g, g * 10.0);
  const auto c = condition_curve("a", {r}, 4);
  EXPECT_EQ(c.generations, (std::vector<int>{0, 3, 6, 9}));
  EXPECT_EQ(c.mean, (std::vector<double>{0, 30, 60, 90}));
  ASSERT_EQ(c.runs[0].values.size(), 4u);
  EXPECT_EQ(c.runs[0].values[3], 90.0);
}

TEST(ConditionCurve, RejectsMaxPointsOutOfRange) {
  for (int bad : {-1, 0, 1, 10001}) {
    EXPECT_THROW(condition_curve("a", {}, bad), Error) << bad;
  }
}

TEST(ExperimentCurves, ReadsEveryConditionFromTheStore) {
  auto db = store::Database::open_memory();
  store::migrate(db);
  testing::FixtureExperiment e;
  e.conditions = {"factorized", "direct"};
  e.runs = {{"direct", 1, {1, 2}}, {"factorized", 0, {5, 6, 7}}, {"direct", 0, {3, 4}},
            {"factorized", 1, {1, 2, 3}}};
  const auto ids = testing::write_experiment(db, e);

  for (auto [metric, offset] : {std::pair{Metric::kBest, 0.0}, {Metric::kMean, -1.0}, {Metric::kMedian, -0.5}}) {
    const auto curves = experiment_curves(db, ids.experiment, metric, 200);
    ASSERT_EQ(curves.conditions.size(), 2u);
    const auto& f = curves.conditions[0];
    const auto& d = curves.conditions[1];
    EXPECT_EQ(f.name, "factorized");  // experiment-file order, not run order
    EXPECT_EQ(d.name, "direct");
    EXPECT_EQ(f.generations, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(f.mean, (std::vector<double>{3 + offset, 4 + offset, 5 + offset})) << metric_name(metric);
    EXPECT_EQ(d.mean, (std::vector<double>{2 + offset, 3 + offset})) << metric_name(metric);
    // Runs are listed by trial.
    EXPECT_EQ(d.runs[0].run, (ids.runs.at({"direct", 0})));
    EXPECT_EQ(d.runs[0].values[0], 3 + offset);
  }
  const auto j = to_json(experiment_curves(db, ids.experiment, Metric::kBest, 2));
  EXPECT_EQ(j["metric"], "best");
  EXPECT_EQ(j["conditions"][0]["generations"], (nlohmann::json{0, 2}));
  for (const char* key : {"name", "generations", "mean", "lo", "hi", "n", "runs"}) {
    EXPECT_TRUE(j["conditions"][1].contains(key)) << key;
  }
}

}  // namespace
}  // namespace seedline::stats
