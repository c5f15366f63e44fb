#include "stats/experiment_compare.hpp"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "store/summary_repo.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

std::string describe(const store::RunRow& r) {
  return "run " + std::to_string(r.id) + " (condition '" + r.condition + "', trial " + std::to_string(r.trial) + ")";
}

// The k-th largest (k from 1) of `values`, or -1 when there are fewer than k.
int kth_largest(std::vector<int> values, size_t k) {
  if (values.size() < k) return -1;
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k - 1), values.end(), std::greater<>());
  return values[k - 1];
}

// See compare_experiment: `newest[c]` holds the newest committed generation (-1: none) of
// each run of condition c. nullopt until kMinRunsToCompare runs of every condition have
// committed a generation.
std::optional<int> default_generation(const std::vector<std::vector<int>>& newest) {
  if (newest.empty()) return std::nullopt;
  int every = std::numeric_limits<int>::max();
  for (const auto& runs : newest) every = std::min(every, kth_largest(runs, kMinRunsToCompare));
  if (every < 0) return std::nullopt;
  return every;
}

// The number of generations the experiment's runs are configured for (the largest
// ga.generations of its conditions); nullopt when no stored config says.
std::optional<int> configured_generations(const std::vector<store::ConditionRow>& conditions) {
  std::optional<int> most;
  for (const auto& c : conditions) {
    const auto config = nlohmann::json::parse(c.config, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object() || !config.contains("ga") || !config["ga"].is_object()) continue;
    const auto& g = config["ga"];
    if (!g.contains("generations") || !g["generations"].is_number_integer()) continue;
    const int n = g["generations"].get<int>();
    most = std::max(most.value_or(n), n);
  }
  return most;
}

std::string plural(size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

double smallest_exact_mwu_p(int m, int n) {
  if (m < 1 || n < 1) return 1.0;
  // C(m + n, m) by the multiplicative formula in doubles: exact enough for a threshold
  // against 0.05, and it only grows, so stop once 2 / C is negligible.
  double arrangements = 1.0;
  const int k = std::min(m, n);
  for (int i = 1; i <= k && arrangements < 1e300; ++i) {
    arrangements = arrangements * static_cast<double>(m + n - k + i) / static_cast<double>(i);
  }
  return std::min(1.0, 2.0 / arrangements);
}

ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        Metric metric, std::optional<int> generation, MwuMethod method) {
  return compare_experiment(db, experiment, MetricSpec{metric, std::nullopt, false, std::nullopt}, generation, method);
}

ExperimentComparison compare_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                        const MetricSpec& spec, std::optional<int> generation, MwuMethod method) {
  check_metric_spec(spec);
  const Metric metric = spec.metric;
  if (generation && *generation < 0) {
    invalid_argument("generation must be >= 0 (got " + std::to_string(*generation) + ")");
  }
  const auto conditions = store::list_conditions(db, experiment.id);
  if (const auto total = configured_generations(conditions); generation && total && *generation >= *total) {
    invalid_argument("generation " + std::to_string(*generation) + " is out of range: experiment '" +
                     experiment.name + "' has generations 0.." + std::to_string(*total - 1));
  }
  auto runs = store::list_runs(db, experiment.id);
  std::stable_sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.trial < b.trial; });
  std::map<int64_t, int> last;
  for (const auto& [run, newest] : store::last_generations(db, experiment.id)) last[run] = newest;

  std::vector<std::vector<int>> newest(conditions.size());
  for (size_t i = 0; i < conditions.size(); ++i) {
    for (const auto& r : runs) {
      if (r.condition_id == conditions[i].id) newest[i].push_back(last.at(r.id));
    }
  }

  ExperimentComparison out;
  out.experiment = experiment.id;
  out.experiment_name = experiment.name;
  {
    const auto config = nlohmann::json::parse(conditions.front().config, nullptr, /*allow_exceptions=*/false);
    if (config.is_object() && config.contains("task")) out.fitness_label = tasks::fitness_label(config["task"]);
  }
  out.metric = metric;
  out.metric_name = spec.name;
  out.stage = spec.stage;
  out.cumulative = spec.cumulative;
  out.method = method;
  out.generation = generation ? generation : default_generation(newest);
  if (!out.generation) {
    // Early in an experiment: say how far each condition is instead of comparing whatever
    // a lone run has reached.
    std::string progress;
    for (size_t i = 0; i < conditions.size(); ++i) {
      const auto started = std::count_if(newest[i].begin(), newest[i].end(), [](int g) { return g >= 0; });
      ConditionValues group{conditions[i].name, {}, static_cast<int>(newest[i].size()), false};
      out.groups.push_back(std::move(group));
      progress += (progress.empty() ? "" : ", ") + ("'" + conditions[i].name + "' ") +
                  std::to_string(started) + " of " + std::to_string(newest[i].size());
    }
    out.comparison.kruskal.H = out.comparison.kruskal.p = std::nan("");
    out.notes.push_back("no generation has been reached by " + std::to_string(kMinRunsToCompare) +
                        " runs of every condition yet (runs with a committed generation: " + progress +
                        "); nothing is compared until then (give a generation to see the runs that reached it)");
    return out;
  }
  const int at = *out.generation;

  std::map<int64_t, double> values;
  for (const auto& row : metric_rows(db, experiment.id, spec, at)) {
    values[row.run_id] = metric_value(row, metric);
  }
  std::vector<Group> compared;
  for (const auto& c : conditions) {
    ConditionValues group{c.name, {}, 0, false};
    for (const auto& r : runs) {
      if (r.condition_id != c.id) continue;
      ++group.runs_total;
      const auto it = values.find(r.id);
      if (it == values.end()) {
        if (last.at(r.id) >= at && spec.name) {
          out.notes.push_back(describe(r) + ": its best individual of generation " + std::to_string(at) +
                              " has no value of '" + *spec.name + "'; left out");
          continue;
        }
        if (last.at(r.id) >= at && (spec.stage || spec.cumulative)) {
          failed_precondition(describe(r) + " has no per-stage record" +
                              (spec.stage ? " of stage " + std::to_string(*spec.stage) : std::string()) +
                              (spec.cumulative ? " for every generation up to " : " at generation ") +
                              std::to_string(at) +
                              " (its condition has fewer stages, or it was committed before schema version 3)");
        }
        if (last.at(r.id) >= at) {
          corruption(describe(r) + " has committed generation " + std::to_string(last.at(r.id)) +
                     " but has no summary of generation " + std::to_string(at));
        }
        continue;  // not there yet: counted in runs_total, not in n
      }
      if (!std::isfinite(it->second)) {
        failed_precondition(describe(r) + ": its " + spec_name(spec) +
                            (is_cost_metric(metric) || spec.name ? "" : " fitness") + " at generation " +
                            std::to_string(at) + " is not a finite number");
      }
      group.runs.push_back({r.id, r.trial, it->second});
    }
    group.compared = group.runs.size() >= kMinRunsToCompare;
    if (group.compared) {
      Group g{group.name, {}};
      for (const auto& rv : group.runs) g.values.push_back(rv.value);
      compared.push_back(std::move(g));
    } else {
      out.notes.push_back("condition '" + c.name + "': " + plural(group.runs.size(), "run") + " of " +
                          std::to_string(group.runs_total) + " reached generation " + std::to_string(at) +
                          "; left out of the tests (a condition needs at least " +
                          std::to_string(kMinRunsToCompare) + ")");
    }
    out.groups.push_back(std::move(group));
  }
  if (compared.size() >= 2) {
    out.comparison = compare_groups(compared, method);
    // Few runs cannot reach significance whatever they score; a bold p must not suggest otherwise.
    double smallest = 1.0;
    for (size_t i = 0; i < compared.size(); ++i) {
      for (size_t j = i + 1; j < compared.size(); ++j) {
        smallest = std::min(smallest, smallest_exact_mwu_p(static_cast<int>(compared[i].values.size()),
                                                           static_cast<int>(compared[j].values.size())));
      }
    }
    if (smallest >= 0.05) {
      char text[96];
      std::snprintf(text, sizeof text, "%.3g", smallest);
      out.notes.push_back(std::string("with these sample sizes the smallest exact Mann-Whitney p is ") + text +
                          ": no pair can reach p < 0.05 whatever the values (more trials needed)");
    }
  } else {
    out.comparison.kruskal.H = out.comparison.kruskal.p = std::nan("");
    out.notes.push_back(plural(compared.size(), "condition") + " with at least " + std::to_string(kMinRunsToCompare) +
                        " runs at generation " + std::to_string(at) + "; no test (comparing needs 2)");
  }
  return out;
}

nlohmann::ordered_json to_json(const ExperimentComparison& c) {
  const auto stats = to_json(c.comparison);
  const auto number = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
  nlohmann::ordered_json j;
  j["experiment"] = c.experiment;
  j["experiment_name"] = c.experiment_name;
  j["fitness_label"] = c.fitness_label;
  j["metric"] = c.metric_name ? *c.metric_name : std::string(metric_name(c.metric));
  if (c.metric_name) j["evaluator_metric"] = true;
  if (is_cost_metric(c.metric)) {
    j["stage"] = c.stage ? nlohmann::ordered_json(*c.stage) : nlohmann::ordered_json(nullptr);
    j["cumulative"] = c.cumulative;
  }
  j["generation"] = c.generation ? nlohmann::ordered_json(*c.generation) : nlohmann::ordered_json(nullptr);
  j["method"] = mwu_method_name(c.method);
  j["groups"] = nlohmann::ordered_json::array();
  size_t k = 0;  // index into the compared groups' summaries
  for (const auto& g : c.groups) {
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const auto& rv : g.runs) {
      runs.push_back(rv.run);
      values.push_back(rv.value);
    }
    nlohmann::ordered_json mean = nullptr;
    nlohmann::ordered_json ci95 = {nullptr, nullptr};
    if (g.compared) {
      const auto& summary = stats["groups"][k++];
      mean = summary["mean"];
      ci95 = summary["ci95"];
    } else if (!g.runs.empty()) {
      mean = number(g.runs.front().value);  // one run: its value; no interval
    }
    j["groups"].push_back({{"name", g.name},
                           {"runs", runs},
                           {"values", values},
                           {"n", g.runs.size()},
                           {"runs_total", g.runs_total},
                           {"compared", g.compared},
                           {"mean", mean},
                           {"ci95", ci95}});
  }
  j["kruskal"] = stats["kruskal"];
  j["pairs"] = stats["pairs"];
  j["notes"] = c.notes;
  return j;
}

}  // namespace seedline::stats
