// Named metrics of every generation (table generation_metrics, migration 0007): the numbers
// an external evaluator returns beside the reward ("distance", "lives"), summarized per run,
// generation and name, with every member's value (docs/evaluator-protocol.md, "Metrics").
// The runner writes them right after the generation row, in the same commit transaction.
//
// All SQL for the table lives in metric_repo.cpp. Functions take the caller's Database and
// are as thread-safe as it is (one per thread); they throw on a SQLite failure (inserting a
// metric of a generation that has no row is a foreign-key failure, kFailedPrecondition) and
// kCorruption for a member_values blob whose size is not a multiple of 8.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

// One named metric in one generation. A member's value is the mean over its episodes of the
// generation that reported the metric; the summary is over the members that reported it.
struct GenerationMetric {
  int64_t run_id = 0;
  int generation = 0;
  std::string name;
  std::optional<double> best;  // the value of the generation's best member (by fitness)
  std::optional<double> mean;  // nullopt when undefined (values +inf and -inf)
  std::optional<double> min, max;
  int64_t members = 0;                // members that reported it
  std::vector<double> member_values;  // population order; NaN: the member reported none
};

// Writes the rows (all of one run and generation). The generation row must exist.
void insert_generation_metrics(Database& db, std::span<const GenerationMetric> metrics);

// Every metric row of the run, by generation then name; with_members false leaves
// member_values empty (the summaries alone).
std::vector<GenerationMetric> list_generation_metrics(Database& db, int64_t run_id, bool with_members = true);

// The distinct metric names of the experiment's runs (all runs' when nullopt), sorted.
std::vector<std::string> metric_names(Database& db, std::optional<int64_t> experiment_id);

// Metric `name` of every run of the experiment, by run id then generation (member_values
// left empty): all committed generations, or only `generation`.
std::vector<GenerationMetric> experiment_named_metric(Database& db, int64_t experiment_id, const std::string& name,
                                                      std::optional<int> generation = std::nullopt);

}  // namespace seedline::store
