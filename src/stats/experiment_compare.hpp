// An experiment's conditions compared at one generation G while runs go on: each run that has
// committed G contributes its metric (best, mean or median fitness of G, or its cost:
// experiment_metric.hpp), grouped by condition; the conditions with at least 2 such runs are
// compared (stats::compare_groups), the others are reported with their n and left out of the
// tests. This is what `seedline compare` and GET /api/experiments/{id}/compare return
// (docs/statistics.md).
//
// Reads the database through src/store only (run progress and one generation's summary
// rows); as thread-safe as the Database passed in (one per thread).
// Failure: kInvalidArgument for a negative generation or one past the experiment's configured
// generations (naming the range 0..N-1); kFailedPrecondition naming the run for
// a non-finite value; kCorruption when a run lacks a generation below its newest one. Too
// few runs or conditions is not an error: the result says so in `notes`.
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

// One condition's runs (by trial) that reached the compared generation, and their values.
struct ConditionValues {
  std::string name;
  std::vector<RunValue> runs;
  int runs_total = 0;     // the condition's runs, reached G or not
  bool compared = false;  // at least 2 runs reached G: part of `comparison`
};

struct ExperimentComparison {
  int64_t experiment = 0;
  std::string experiment_name;
  std::string fitness_label = "fitness";  // the task's (tasks::fitness_label): "loss" = -fitness
  Metric metric = Metric::kBest;
  std::optional<int> stage;  // cost metrics: the stage compared (nullopt: all stages)
  bool cumulative = false;   // cost metrics: summed over generations 0..generation
  // The compared generation; nullopt when none was asked for and no generation has been
  // reached by 2 runs of every condition yet: then nothing is compared (`notes` says so).
  std::optional<int> generation;
  MwuMethod method = MwuMethod::kAuto;   // as requested; each pair says the method it used
  std::vector<ConditionValues> groups;   // conditions in their experiment-file order
  Comparison comparison;                 // of the compared groups, in the same order; empty
                                         // (no groups, no pairs, H and p NaN) when fewer than 2
  std::vector<std::string> notes;        // why a condition or the whole test is left out
  std::optional<std::string> metric_name;  // an evaluator's named metric (its best individual's value)
};

// The smallest two-sided p-value an exact Mann-Whitney test can give for samples of sizes
// m and n (every value of one sample above every value of the other, no ties):
// min(1, 2 / C(m + n, m)). With 3 against 3 it is 0.1: no result can reach p < 0.05.
// 1 when m or n is below 1.
double smallest_exact_mwu_p(int m, int n);

// A condition needs this many runs at G to be compared.
inline constexpr size_t kMinRunsToCompare = 2;

// Compares the experiment's conditions at `generation`. nullopt picks the newest generation
// that at least 2 runs of every condition have reached; before there is one, nothing is
// compared (the result's generation is nullopt and a note says why). A note also says when
// the sample sizes cannot give an exact Mann-Whitney p below 0.05 whatever the values
// (smallest_exact_mwu_p), e.g. 3 runs against 3.
ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        Metric metric, std::optional<int> generation, MwuMethod method);
// The same for any MetricSpec (a cost metric of one stage, cumulative). A run without the
// records the spec needs fails with kFailedPrecondition naming it.
ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        const MetricSpec& spec, std::optional<int> generation, MwuMethod method);

// {"experiment", "experiment_name", "metric", ["evaluator_metric": true for a named metric,]
//  ["stage", "cumulative" for cost metrics,]
//  "generation" (null: nothing compared yet), "method",
//  "groups": [{"name", "runs": [run ids], "values": [..], "n", "runs_total", "compared",
//              "mean", "ci95": [lo, hi]}],
//  "kruskal": {"H", "p"}, "pairs": [...as stats::to_json], "notes": [..]}; undefined numbers
// (and H, p without a test) are null.
nlohmann::ordered_json to_json(const ExperimentComparison& comparison);

}  // namespace seedline::stats
