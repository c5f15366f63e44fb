#include "stats/experiment_metric.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

#include "store/metric_repo.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

constexpr Metric kAll[] = {Metric::kBest,        Metric::kMean,  Metric::kMedian,
                           Metric::kEvaluations, Metric::kSteps, Metric::kSeconds};

// Running sums per run; a row is kept only when every generation before it was summed.
std::vector<store::GenerationMetrics> cumulate(std::vector<store::GenerationMetrics> rows,
                                               std::optional<int> generation) {
  std::vector<store::GenerationMetrics> out;
  std::map<int64_t, std::pair<int, store::GenerationMetrics>> sums;  // run -> (rows summed, sums)
  for (const auto& row : rows) {
    auto& [count, sum] = sums[row.run_id];
    sum.evaluations += row.evaluations;
    sum.steps += row.steps;
    sum.seconds += row.seconds;
    ++count;
    if (count != row.generation + 1) continue;  // a generation before this one has no record
    if (generation && row.generation != *generation) continue;
    store::GenerationMetrics c = row;
    c.evaluations = sum.evaluations;
    c.steps = sum.steps;
    c.seconds = sum.seconds;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string_view metric_name(Metric metric) {
  switch (metric) {
    case Metric::kBest: return "best";
    case Metric::kMean: return "mean";
    case Metric::kMedian: return "median";
    case Metric::kEvaluations: return "evaluations";
    case Metric::kSteps: return "steps";
    case Metric::kSeconds: return "seconds";
  }
  return "best";
}

Metric parse_metric(std::string_view name) {
  for (auto m : kAll) {
    if (name == metric_name(m)) return m;
  }
  invalid_argument("unknown metric '" + std::string(name) +
                   "' (expected best, mean, median, evaluations, steps or seconds)");
}

bool is_cost_metric(Metric metric) {
  return metric == Metric::kEvaluations || metric == Metric::kSteps || metric == Metric::kSeconds;
}

double metric_value(const store::GenerationMetrics& row, Metric metric) {
  switch (metric) {
    case Metric::kBest: return row.best;
    case Metric::kMean: return row.mean;
    case Metric::kMedian: return row.median;
    case Metric::kEvaluations: return static_cast<double>(row.evaluations);
    case Metric::kSteps: return static_cast<double>(row.steps);
    case Metric::kSeconds: return row.seconds;
  }
  return row.best;
}

void set_metric(MetricSpec& spec, std::string_view text) {
  spec.name.reset();
  for (auto m : kAll) {
    if (text == metric_name(m)) {
      spec.metric = m;
      return;
    }
  }
  std::string_view name = text;
  if (name.substr(0, 7) == "metric:") name.remove_prefix(7);
  if (name.empty() || name.size() > 128) {
    invalid_argument("metric '" + std::string(text) +
                     "': expected best, mean, median, evaluations, steps, seconds or the name (1-128 bytes) of a "
                     "metric the evaluator returns");
  }
  spec.metric = Metric::kBest;
  spec.name = std::string(name);
}

std::string spec_name(const MetricSpec& spec) { return spec.name ? *spec.name : std::string(metric_name(spec.metric)); }

void check_metric_spec(const MetricSpec& spec) {
  const std::string name = spec_name(spec);
  if (!is_cost_metric(spec.metric) && spec.stage) {
    invalid_argument("stage: applies to the cost metrics evaluations, steps and seconds, not to '" + name + "'");
  }
  if (!is_cost_metric(spec.metric) && spec.cumulative) {
    invalid_argument("cumulative: applies to the cost metrics evaluations, steps and seconds, not to '" + name + "'");
  }
  if (spec.stage && *spec.stage < 0) {
    invalid_argument("stage: must be >= 0, an index into ga.stages (got " + std::to_string(*spec.stage) + ")");
  }
}

std::vector<store::GenerationMetrics> metric_rows(store::Database& db, int64_t experiment_id, const MetricSpec& spec,
                                                  std::optional<int> generation) {
  check_metric_spec(spec);
  if (spec.name) {
    const auto named = store::experiment_named_metric(db, experiment_id, *spec.name, generation);
    if (named.empty()) {
      const auto names = store::metric_names(db, experiment_id);
      if (std::find(names.begin(), names.end(), *spec.name) == names.end()) {
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        invalid_argument("unknown metric '" + *spec.name + "' (expected best, mean, median, evaluations, steps, " +
                         "seconds" + (names.empty() ? std::string(")") : ", or one the evaluator returned: " + known + ")") +
                         (names.empty() ? "; this experiment's evaluator returned no named metrics" : ""));
      }
    }
    std::vector<store::GenerationMetrics> rows;
    for (const auto& m : named) {
      if (!m.best) continue;  // the best individual reported no value
      store::GenerationMetrics row;
      row.run_id = m.run_id;
      row.generation = m.generation;
      row.best = *m.best;
      row.mean = m.mean.value_or(std::numeric_limits<double>::quiet_NaN());
      row.median = std::numeric_limits<double>::quiet_NaN();
      rows.push_back(row);
    }
    return rows;
  }
  if (spec.cumulative) {
    auto all = spec.stage ? store::experiment_stage_metrics(db, experiment_id, *spec.stage)
                          : store::experiment_generation_metrics(db, experiment_id);
    return cumulate(std::move(all), generation);
  }
  if (spec.stage) {
    return generation ? store::experiment_stage_metrics_at(db, experiment_id, *spec.stage, *generation)
                      : store::experiment_stage_metrics(db, experiment_id, *spec.stage);
  }
  return generation ? store::experiment_metrics_at(db, experiment_id, *generation)
                    : store::experiment_generation_metrics(db, experiment_id);
}

}  // namespace seedline::stats
