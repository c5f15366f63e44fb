// seedline evaluate ID [--episodes N] [--seed S] [--threads T] [--json]
// seedline evaluate --experiment NAME|ID --best [--episodes N] [--seed S] [--threads T] [--json]
// Re-measures a stored individual (or every run's final best) on fresh episodes and stores
// the result beside its birth fitness (src/runner/reevaluate.hpp); a deterministic task's
// individual is evaluated once, and the output says so.
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "common.hpp"
#include "comparison_table.hpp"
#include "runner/reevaluate.hpp"
#include "store/experiment_repo.hpp"
#include "store/reevaluation_repo.hpp"

namespace seedline::cli {
namespace {

struct EvaluateOptions {
  int64_t id = 0;
  std::string experiment;
  bool best = false;
  int episodes = 100;
  uint64_t seed = 0;
  int threads = 0;  // 0: every core
  bool json = false;
};

std::string ci_text(const runner::Reevaluation& r) {
  if (!std::isfinite(r.ci_low)) return "-";
  return "[" + format_number(r.ci_low, "%.6g") + ", " + format_number(r.ci_high, "%.6g") + "]";
}

// Which of the individual's re-evaluations `stored_id` (a row id, shared by every individual)
// is, counting from 1: "re-evaluation 1" for a first re-measurement.
std::optional<size_t> reevaluation_number(store::Database& db, const runner::Reevaluation& r) {
  if (!r.stored_id) return std::nullopt;
  const auto rows = store::reevaluations_of(db, r.individual);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].id == *r.stored_id) return i + 1;
  }
  return std::nullopt;
}

void print_one(const runner::Reevaluation& r, std::optional<size_t> number) {
  std::cout << "individual " << r.individual << " (run " << r.run << ", generation " << r.generation << ")\n"
            << "  stored fitness (birth generation, during evolution): "
            << (r.stored_fitness ? format_number(*r.stored_fitness, "%.6g") : std::string("-")) << '\n';
  if (r.deterministic) {
    std::cout << "  re-measured: " << format_number(r.mean, "%.17g") << '\n'
              << "  deterministic task '" << r.task
              << "': evaluated once (no episodes to draw, so --episodes does not apply): a fresh computation, "
                 "bit for bit the value the run computed\n";
  } else {
    std::cout << "  re-measured on " << r.episodes << " fresh episodes (seed " << r.seed << "): mean "
              << format_number(r.mean, "%.6g") << ", std " << format_number(r.std, "%.4g") << ", 95% CI "
              << ci_text(r) << ", " << r.steps << " steps\n";
  }
  if (r.evaluator) {
    std::cout << "  evaluator '" << r.evaluator->name << "' version '" << r.evaluator->version << "'\n";
  }
  if (!r.metrics.empty()) {
    std::cout << "  evaluator metrics (mean over the episodes that reported each):";
    for (const auto& m : r.metrics) {
      std::cout << ' ' << m.name << ' ' << (m.mean ? format_number(*m.mean, "%.6g") : std::string("-"));
      if (m.episodes != r.episodes) std::cout << " (" << m.episodes << " of " << r.episodes << " episodes)";
    }
    std::cout << '\n';
  }
  if (!r.evaluator_warning.empty()) std::cout << "  WARNING: " << r.evaluator_warning << '\n';
  if (number) std::cout << "  stored with the individual as its re-evaluation " << *number << '\n';
}

void print_experiment(const runner::ExperimentReevaluation& e, const runner::ReevaluationOptions& o) {
  const bool deterministic = !e.runs.empty() && e.runs.front().result.deterministic;
  std::cout << "experiment '" << e.experiment_name << "' (id " << e.experiment << "): every run's final best, ";
  if (deterministic) {
    std::cout << "evaluated once (deterministic task '" << e.runs.front().result.task
              << "': --episodes does not apply; re-measured = stored)\n\n";
  } else {
    std::cout << "re-measured on " << o.episodes << " fresh episodes (seed " << o.seed << ")\n"
              << "stored best = the maximum of noisy estimates (biased upward); re-measured = unbiased\n\n";
  }
  size_t width = 11;
  for (const auto& c : e.conditions) width = std::max(width, c.size() + 2);
  std::cout << pad("condition", width) << pad("run", 6) << pad("trial", 7) << pad("individual", 12)
            << pad("stored best", 13) << pad("re-measured", 13) << "95% CI\n";
  for (const auto& r : e.runs) {
    std::cout << pad(r.run.condition, width) << pad(std::to_string(r.run.id), 6) << pad(std::to_string(r.run.trial), 7)
              << pad(std::to_string(r.result.individual), 12)
              << pad(r.result.stored_fitness ? format_number(*r.result.stored_fitness, "%.6g") : "-", 13)
              << pad(format_number(r.result.mean, "%.6g"), 13) << ci_text(r.result) << '\n';
  }
  std::cout << '\n';
  if (e.comparison.groups.empty()) {
    std::cout << "one condition: no comparison between conditions\n";
  } else {
    print_comparison_table(std::cout, e.comparison);
  }
}

void run_evaluate(const GlobalOptions& global, const EvaluateOptions& o) {
  if (o.experiment.empty() == (o.id == 0)) throw CLI::ValidationError("evaluate", "give an individual ID or --experiment NAME --best (one of them)");
  if (!o.experiment.empty() && !o.best) throw CLI::ValidationError("--experiment", "needs --best (re-measure every run's final best)");
  if (o.best && o.experiment.empty()) throw CLI::ValidationError("--best", "needs --experiment NAME|ID");
  runner::ReevaluationOptions options;
  options.episodes = o.episodes;
  options.seed = o.seed;
  const unsigned cores = std::thread::hardware_concurrency();
  runner::ThreadPool pool(o.threads > 0 ? o.threads : static_cast<int>(cores == 0 ? 1 : cores));
  auto db = open_db(global, store::OpenPurpose::kWrite);
  if (!o.experiment.empty()) {
    const auto experiment = store::resolve_experiment(db, o.experiment);
    const auto result = runner::reevaluate_experiment(db, experiment, options, pool);
    if (o.json) {
      std::cout << runner::to_json(result, options).dump(2) << '\n';
    } else {
      print_experiment(result, options);
    }
    return;
  }
  const auto result = runner::reevaluate(db, o.id, options, pool);
  if (o.json) {
    std::cout << runner::to_json(result).dump(2) << '\n';
  } else {
    print_one(result, reevaluation_number(db, result));
  }
}

}  // namespace

void register_evaluate_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("evaluate", "Re-measure a stored individual (or every run's final best) on fresh episodes");
  auto o = std::make_shared<EvaluateOptions>();
  add_id_option(cmd, "ID", o->id, "Individual id")->required(false);
  cmd->add_option("--experiment", o->experiment, "Experiment id or name (with --best)");
  cmd->add_flag("--best", o->best, "Re-measure every run's final best and compare the conditions");
  cmd->add_option("--episodes", o->episodes, "Fresh episodes per individual (deterministic tasks: evaluated once)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the fresh episodes (the same seed gives the same episodes)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (default: every core)")->check(CLI::Range(1, 1024));
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([&global, o] { run_evaluate(global, *o); });
}

}  // namespace seedline::cli
