// Fitness curves of an experiment: per condition and generation, the mean of a metric (best,
// mean or median fitness of the generation, or its cost: experiment_metric.hpp) across the
// condition's runs with a Student-t 95% confidence interval, how many runs it covers, and
// each run's own series. Generations are downsampled evenly to at most `max_points`, always
// keeping the first and the last. This is what GET /api/experiments/{id}/curves returns.
//
// condition_curve() and downsample_indices() are pure; experiment_curves() reads all of an
// experiment's generation summaries in one store query and is as thread-safe as the Database
// (one per thread). Failure: kInvalidArgument for max_points outside [kMinPoints, kMaxPoints].
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stats/experiment_metric.hpp"
#include "store/database.hpp"

namespace seedline::stats {

constexpr int kDefaultPoints = 200;
constexpr int kMinPoints = 2;
constexpr int kMaxPoints = 10000;

// One run's committed generations and its metric there, ascending by generation.
struct RunPoints {
  int64_t run = 0;
  int trial = 0;
  std::vector<std::pair<int, double>> points;
};

struct RunSeries {
  int64_t run = 0;
  int trial = 0;
  std::vector<std::optional<double>> values;  // aligned with ConditionCurve::generations
};

struct ConditionCurve {
  std::string name;
  std::vector<int> generations;  // every generation some run committed, downsampled
  std::vector<double> mean;      // over the runs with a finite value there (NaN when none)
  std::vector<double> lo;        // Student-t 95% CI; equal to mean when n < 2
  std::vector<double> hi;
  std::vector<int> n;            // runs with a finite value at that generation
  std::vector<RunSeries> runs;   // by trial; a missing or non-finite value is nullopt
};

struct ExperimentCurves {
  int64_t experiment = 0;
  Metric metric = Metric::kBest;
  std::vector<ConditionCurve> conditions;  // in experiment-file order
  std::optional<int> stage;  // cost metrics (experiment_metric.hpp)
  bool cumulative = false;
  std::optional<std::string> metric_name;  // an evaluator's named metric (the best individual's value)
};

// Indices of `count` items to keep so that at most `max_points` (>= 2) remain, evenly
// spaced, including the first and the last: all of them when count <= max_points.
std::vector<size_t> downsample_indices(size_t count, size_t max_points);

// The curve of one condition from its runs' points.
ConditionCurve condition_curve(const std::string& name, const std::vector<RunPoints>& runs, int max_points);

ExperimentCurves experiment_curves(store::Database& db, int64_t experiment_id, Metric metric, int max_points);
// Curves of any MetricSpec, e.g. the steps of stage 1 per generation (the dashboard's cost
// chart). Throws kInvalidArgument for a bad spec.
ExperimentCurves experiment_curves(store::Database& db, int64_t experiment_id, const MetricSpec& spec,
                                   int max_points);

// {"experiment", "metric", ["stage", "cumulative" for cost metrics,] "conditions": [{"name", "generations", "mean", "lo", "hi", "n",
//  "runs": [{"run", "trial", "values"}]}]}; undefined numbers are null.
nlohmann::ordered_json to_json(const ExperimentCurves& curves);

}  // namespace seedline::stats
