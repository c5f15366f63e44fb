// seedline compare --experiment NAME|ID [--metric best|mean|median|evaluations|steps|seconds|NAME]
//                  [--stage S] [--cumulative] [--generation G] [--method auto|exact|asymptotic] [--json]
// Compares an experiment's conditions at one generation, using the runs that have reached it
// (the experiment may still be running); --json prints what GET
// /api/experiments/{id}/compare returns. The cost metrics and --stage/--cumulative are
// defined in docs/statistics.md.
#include <algorithm>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "comparison_table.hpp"
#include "suggest.hpp"
#include "stats/experiment_compare.hpp"
#include "store/experiment_repo.hpp"
#include "store/metric_repo.hpp"
#include "util/error.hpp"
#include "util/utf8.hpp"

namespace seedline::cli {
namespace {

struct CompareOptions {
  std::string experiment;
  std::string metric = "best";
  int stage = -1;  // -1: all stages
  bool cumulative = false;
  int generation = -1;  // -1: the newest generation 2 runs of every condition have reached
  std::string method = "auto";
  bool json = false;
};

// Whether the values are shown as losses: the task's fitness is minus a loss (the language
// model) and the metric is a fitness one. The text then shows every value, mean and interval
// as the positive loss, like the dashboard's curves; --json keeps the fitness.
bool shows_loss(const stats::ExperimentComparison& c) {
  return c.fitness_label == "loss" && !stats::is_cost_metric(c.metric);
}

// The comparison of the losses: the same tests on the negated values (Kruskal-Wallis and
// Mann-Whitney p unchanged; U, Glass's delta and A12 as of the losses).
stats::Comparison loss_comparison(const stats::ExperimentComparison& c, stats::MwuMethod method) {
  std::vector<stats::Group> groups;
  for (const auto& g : c.groups) {
    if (!g.compared) continue;
    stats::Group loss{g.name, {}};
    for (const auto& r : g.runs) loss.values.push_back(-r.value);
    groups.push_back(std::move(loss));
  }
  return stats::compare_groups(groups, method);
}

void print_values(const stats::ExperimentComparison& c) {
  std::cout << "experiment '" << c.experiment_name << "' (id " << c.experiment << "): ";
  const std::string at = std::to_string(c.generation.value_or(0));  // always set here (run_compare)
  if (stats::is_cost_metric(c.metric)) {
    std::cout << stats::metric_name(c.metric)
              << (c.stage ? " of stage " + std::to_string(*c.stage) : std::string(" of all stages"))
              << (c.cumulative ? " over generations 0.." + at : " at generation " + at) << "\n\n";
  } else if (c.metric_name) {
    std::cout << "evaluator metric '" << *c.metric_name << "' of each run's best individual at generation " << at
              << "\n\n";
  } else {
    std::cout << stats::metric_name(c.metric) << (shows_loss(c) ? " loss" : " fitness") << " at generation " << at
              << "\n";
    if (shows_loss(c)) std::cout << "(losses in nats per token, lower is better; the fitness is minus the loss)\n";
    std::cout << "\n";
  }
  size_t name_width = 11;
  for (const auto& g : c.groups) name_width = std::max(name_width, g.name.size() + 2);
  std::cout << pad("condition", name_width) << pad("n/runs", 8) << "values by trial (run id)\n";
  for (const auto& g : c.groups) {
    std::cout << pad(g.name, name_width) << pad(std::to_string(g.runs.size()) + "/" + std::to_string(g.runs_total), 8);
    for (size_t i = 0; i < g.runs.size(); ++i) {
      const double v = shows_loss(c) ? -g.runs[i].value : g.runs[i].value;
      std::cout << (i ? "  " : "") << format_number(v, "%.6g") << " (" << g.runs[i].run << ")";
    }
    std::cout << '\n';
  }
  std::cout << '\n';
}

void run_compare(const GlobalOptions& global, const CompareOptions& o) {
  stats::MetricSpec spec;
  if (o.stage >= 0) spec.stage = o.stage;
  spec.cumulative = o.cumulative;
  try {
    stats::set_metric(spec, o.metric);
    stats::check_metric_spec(spec);
  } catch (const Error& e) {
    throw CLI::ValidationError(std::string("--") + e.what());  // e.g. "--stage: applies to ...": exit 2
  }
  const auto method = stats::parse_mwu_method(o.method);
  auto db = open_db(global, store::OpenPurpose::kRead);
  const auto experiment = store::resolve_experiment(db, o.experiment);
  if (spec.name) {
    // Before any query: a name no run reported is a wrong --metric (usage, exit 2).
    const auto names = store::metric_names(db, experiment.id);
    if (std::find(names.begin(), names.end(), *spec.name) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "'" : ", '") + n + "'";
      throw CLI::ValidationError("--metric", "'" + *spec.name + "' is neither best, mean, median, evaluations, steps, "
                                 "seconds nor a metric the evaluator of experiment '" + experiment.name +
                                 "' returned" + (names.empty() ? " (it returned none)" : " (it returned " + known + ")"));
    }
  }
  const auto result = stats::compare_experiment(db, experiment, spec,
                                                o.generation >= 0 ? std::optional<int>(o.generation) : std::nullopt,
                                                method);
  if (o.json) {
    std::cout << dump_json(stats::to_json(result), 2) << '\n';
    return;
  }
  if (!result.generation) {
    // Before any generation can be compared: the note, no table of empty groups.
    std::cout << "experiment '" << result.experiment_name << "' (id " << result.experiment << "): no comparison yet\n";
    for (const auto& note : result.notes) std::cout << "note: " << note << '\n';
    return;
  }
  print_values(result);
  if (result.comparison.groups.size() >= 2) {
    if (shows_loss(result)) {
      print_comparison_table(std::cout, loss_comparison(result, method));
      std::cout << "(of the losses: Glass's delta < 0 and A12 < 0.5 mean a has the lower loss)\n";
    } else {
      print_comparison_table(std::cout, result.comparison);
    }
  }
  if (!result.notes.empty()) {
    std::cout << (result.comparison.groups.size() >= 2 ? "\n" : "");
    for (const auto& note : result.notes) std::cout << "note: " << note << '\n';
  }
}

}  // namespace

void register_compare_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("compare", "Compare an experiment's conditions at one generation (rank tests, effect sizes)");
  auto o = std::make_shared<CompareOptions>();
  cmd->add_option("--experiment", o->experiment, "Experiment id or name")->required();
  cmd->add_option("--metric", o->metric,
                  "Per-run value: the generation's best, mean or median fitness, its cost: evaluations, "
                  "environment steps or evaluation seconds, or NAME: a metric the evaluator returns (the best "
                  "individual's value; metric:NAME when it shadows one of these)")
      ->check(CLI::Validator(
          [](const std::string& value) -> std::string {
            // A near miss of a built-in name is a typo (did you mean ...); any other word may
            // name an evaluator's metric, checked against the experiment once it is open.
            const std::vector<std::string> builtin = {"best", "mean", "median", "evaluations", "steps", "seconds"};
            if (std::find(builtin.begin(), builtin.end(), value) != builtin.end()) return "";
            if (value.rfind("metric:", 0) == 0 || nearest_names(value, builtin).empty()) return "";
            return value + " not in {best,mean,median,evaluations,steps,seconds}";
          },
          "METRIC"))
      ->capture_default_str();
  cmd->add_option("--stage", o->stage, "Cost metrics: only this stage (index into ga.stages, from 0)")
      ->check(CLI::Range(0, 1'000'000));
  cmd->add_flag("--cumulative", o->cumulative, "Cost metrics: the sum over generations 0..G instead of G's own");
  cmd->add_option("--generation", o->generation,
                  "Generation to compare at, from 0 (default: the newest that 2 runs of every condition have reached)")
      ->check(CLI::Range(0, 1'000'000'000));
  cmd->add_option("--method", o->method, "Mann-Whitney p-value: auto (scipy's rule), exact or asymptotic")
      ->check(CLI::IsMember({"auto", "exact", "asymptotic"}))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON (as GET /api/experiments/{id}/compare)");
  cmd->callback([&global, o] { run_compare(global, *o); });
}

}  // namespace seedline::cli
