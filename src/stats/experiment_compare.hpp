// An experiment's conditions compared at one generation: each run's metric (best, mean or
// median fitness of that generation, or its cost: experiment_metric.hpp) grouped by condition, then stats::compare_groups. This
// is what `seedline compare` and GET /api/experiments/{id}/compare return.
//
// Reads the database through src/store only (run progress and one generation's summary
// rows); as thread-safe as the Database passed in (one per thread).
// Failure: kInvalidArgument for a negative generation; kFailedPrecondition (naming the
// experiment or run) when there is nothing to compare yet: fewer than 2 conditions, a
// condition without runs, a run that has not reached the generation, or a non-finite value;
// kCorruption when a run lacks a generation below its newest one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "stats/compare.hpp"
#include "stats/experiment_metric.hpp"
#include "stats/rank_tests.hpp"
#include "store/database.hpp"
#include "store/experiment_repo.hpp"

namespace seedline::stats {

struct RunValue {
  int64_t run = 0;
  int trial = 0;
  double value = 0;
};

// One condition's runs (by trial) and their values at the compared generation.
struct ConditionValues {
  std::string name;
  std::vector<RunValue> runs;
};

struct ExperimentComparison {
  int64_t experiment = 0;
  std::string experiment_name;
  Metric metric = Metric::kBest;
  std::optional<int> stage;  // cost metrics: the stage compared (nullopt: all stages)
  bool cumulative = false;   // cost metrics: summed over generations 0..generation
  int generation = 0;
  MwuMethod method = MwuMethod::kAuto;   // as requested; each pair says the method it used
  std::vector<ConditionValues> groups;   // conditions in their experiment-file order
  Comparison comparison;                 // of groups, in the same order
};

// Compares the experiment's conditions at `generation`; nullopt picks the last generation
// every run has reached (the smallest newest-committed generation over all runs).
ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        Metric metric, std::optional<int> generation, MwuMethod method);
// The same for any MetricSpec (a cost metric of one stage, cumulative). A run without the
// records the spec needs fails with kFailedPrecondition naming it.
ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        const MetricSpec& spec, std::optional<int> generation, MwuMethod method);

// {"experiment", "metric", ["stage", "cumulative" for cost metrics,] "generation", "method",
//  "groups": [{"name", "runs": [run ids], "values": [..], "n", "mean", "ci95": [lo, hi]}],
//  "kruskal": {"H", "p"}, "pairs": [...as stats::to_json]}; undefined numbers are null.
nlohmann::ordered_json to_json(const ExperimentComparison& comparison);

}  // namespace seedline::stats
