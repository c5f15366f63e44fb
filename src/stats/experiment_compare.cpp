#include "stats/experiment_compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "store/summary_repo.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

std::string describe(const store::ExperimentRow& e) {
  return "experiment '" + e.name + "' (id " + std::to_string(e.id) + ")";
}

std::string describe(const store::RunRow& r) {
  return "run " + std::to_string(r.id) + " (condition '" + r.condition + "', trial " + std::to_string(r.trial) + ")";
}

// The last generation every run has reached; fails naming a run that has none.
int common_generation(const std::vector<store::RunRow>& runs, const std::map<int64_t, int>& last) {
  int g = -1;
  for (const auto& r : runs) {
    const int l = last.at(r.id);
    if (l < 0) {
      failed_precondition(describe(r) + " has not committed a generation yet; nothing to compare");
    }
    g = g < 0 ? l : std::min(g, l);
  }
  return g;
}

}  // namespace

ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        Metric metric, std::optional<int> generation, MwuMethod method) {
  return compare_experiment(db, experiment, MetricSpec{metric, std::nullopt, false}, generation, method);
}

ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        const MetricSpec& spec, std::optional<int> generation, MwuMethod method) {
  check_metric_spec(spec);
  const Metric metric = spec.metric;
  if (generation && *generation < 0) {
    invalid_argument("generation must be >= 0 (got " + std::to_string(*generation) + ")");
  }
  const auto conditions = store::list_conditions(db, experiment.id);
  if (conditions.size() < 2) {
    failed_precondition(describe(experiment) + " has " + std::to_string(conditions.size()) +
                        " condition(s); comparing needs at least 2");
  }
  auto runs = store::list_runs(db, experiment.id);
  std::stable_sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.trial < b.trial; });
  std::map<int64_t, int> last;
  for (const auto& [run, newest] : store::last_generations(db, experiment.id)) last[run] = newest;

  ExperimentComparison out;
  out.experiment = experiment.id;
  out.experiment_name = experiment.name;
  out.metric = metric;
  out.stage = spec.stage;
  out.cumulative = spec.cumulative;
  out.method = method;
  out.generation = generation ? *generation : common_generation(runs, last);

  std::map<int64_t, double> values;
  for (const auto& row : metric_rows(db, experiment.id, spec, out.generation)) {
    values[row.run_id] = metric_value(row, metric);
  }
  for (const auto& c : conditions) {
    ConditionValues group{c.name, {}};
    for (const auto& r : runs) {
      if (r.condition_id != c.id) continue;
      const auto it = values.find(r.id);
      if (it == values.end()) {
        if (last.at(r.id) >= out.generation && (spec.stage || spec.cumulative)) {
          failed_precondition(describe(r) + " has no per-stage record" +
                              (spec.stage ? " of stage " + std::to_string(*spec.stage) : std::string()) +
                              (spec.cumulative ? " for every generation up to " : " at generation ") +
                              std::to_string(out.generation) +
                              " (its condition has fewer stages, or it was committed before schema version 3)");
        }
        if (last.at(r.id) >= out.generation) {
          corruption(describe(r) + " has committed generation " + std::to_string(last.at(r.id)) +
                     " but has no summary of generation " + std::to_string(out.generation));
        }
        if (last.at(r.id) < 0) failed_precondition(describe(r) + " has not committed a generation yet");
        failed_precondition(describe(r) + " has not reached generation " + std::to_string(out.generation) +
                            " (its newest is " + std::to_string(last.at(r.id)) +
                            "); omit the generation to use the last one every run has reached");
      }
      if (!std::isfinite(it->second)) {
        failed_precondition(describe(r) + ": its " + std::string(metric_name(metric)) +
                            (is_cost_metric(metric) ? "" : " fitness") + " at generation " +
                            std::to_string(out.generation) + " is not a finite number");
      }
      group.runs.push_back({r.id, r.trial, it->second});
    }
    if (group.runs.empty()) failed_precondition(describe(experiment) + ": condition '" + c.name + "' has no runs");
    out.groups.push_back(std::move(group));
  }

  std::vector<Group> groups;
  for (const auto& g : out.groups) {
    Group group{g.name, {}};
    for (const auto& rv : g.runs) group.values.push_back(rv.value);
    groups.push_back(std::move(group));
  }
  out.comparison = compare_groups(groups, method);
  return out;
}

nlohmann::ordered_json to_json(const ExperimentComparison& c) {
  const auto stats = to_json(c.comparison);
  nlohmann::ordered_json j;
  j["experiment"] = c.experiment;
  j["experiment_name"] = c.experiment_name;
  j["metric"] = metric_name(c.metric);
  if (is_cost_metric(c.metric)) {
    j["stage"] = c.stage ? nlohmann::ordered_json(*c.stage) : nlohmann::ordered_json(nullptr);
    j["cumulative"] = c.cumulative;
  }
  j["generation"] = c.generation;
  j["method"] = mwu_method_name(c.method);
  j["groups"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < c.groups.size(); ++i) {
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const auto& rv : c.groups[i].runs) {
      runs.push_back(rv.run);
      values.push_back(rv.value);
    }
    const auto& summary = stats["groups"][i];
    j["groups"].push_back({{"name", c.groups[i].name},
                           {"runs", runs},
                           {"values", values},
                           {"n", summary["n"]},
                           {"mean", summary["mean"]},
                           {"ci95", summary["ci95"]}});
  }
  j["kruskal"] = stats["kruskal"];
  j["pairs"] = stats["pairs"];
  return j;
}

}  // namespace seedline::stats
