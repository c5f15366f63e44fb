// Which per-generation value an experiment is compared or plotted on: a run's best, mean or
// median fitness of a generation, or what the generation cost: its evaluations, environment
// steps or evaluation wall seconds (docs/statistics.md, "Metrics").
//
// A cost metric may name one stage (its index in ga.stages, from 0: the per-stage records of
// the generation_stages table) and may be cumulative: the value at generation G is then the
// sum over generations 0..G, what it took the run to get there. Without a stage a cost is the
// generation row's (all stages; seconds is eval_seconds).
//
// parse_metric / metric_value / check_metric_spec are pure and thread-safe; metric_rows reads
// through src/store and is as thread-safe as the Database (one per thread).
// Failure: parse_metric and check_metric_spec throw Error(kInvalidArgument) naming the value
// (an unknown metric, a stage or cumulative with a fitness metric, a negative stage).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "store/summary_repo.hpp"

namespace seedline::stats {

enum class Metric { kBest, kMean, kMedian, kEvaluations, kSteps, kSeconds };

// "best" | "mean" | "median" | "evaluations" | "steps" | "seconds".
std::string_view metric_name(Metric metric);
Metric parse_metric(std::string_view name);
// evaluations, steps and seconds: what a generation cost rather than how fit it was.
bool is_cost_metric(Metric metric);
// The metric's value in one generation summary.
double metric_value(const store::GenerationMetrics& row, Metric metric);

struct MetricSpec {
  Metric metric = Metric::kBest;
  std::optional<int> stage;  // cost metrics only: one stage's records
  bool cumulative = false;   // cost metrics only: summed over generations 0..G
  // A named metric an external evaluator returned (table generation_metrics): the value of
  // each generation's best individual, read as the row's `best` (metric is kBest).
  std::optional<std::string> name;
};

void check_metric_spec(const MetricSpec& spec);

// Sets spec's metric from a name: a built-in one ("best" ... "seconds"), else an evaluator's
// named metric ("metric:NAME" names one that shadows a built-in). Throws kInvalidArgument for
// an empty name or one longer than 128 bytes.
void set_metric(MetricSpec& spec, std::string_view text);
// What a spec is called in output: the built-in name, or the evaluator metric's own name.
std::string spec_name(const MetricSpec& spec);

// The rows a spec reads, ordered by run id then generation (a named metric: its best-member
// value in `best` and its population mean in `mean`; generations where the best individual
// reported no value are left out; a name no run of the experiment reported is
// kInvalidArgument listing the names there are): every committed generation, or
// only generation `generation`. Cumulative rows carry the sums over 0..G in evaluations,
// steps and seconds; a run missing a record of some generation in 0..G (a stage it does not
// have, or generations committed before migration 0003) has no cumulative row at G.
std::vector<store::GenerationMetrics> metric_rows(store::Database& db, int64_t experiment_id, const MetricSpec& spec,
                                                  std::optional<int> generation = std::nullopt);

}  // namespace seedline::stats
