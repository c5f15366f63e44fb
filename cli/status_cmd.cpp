// seedline status [--experiment NAME|ID] [--stages] [--json]: every run's state, progress,
// best ever and final best, and an ES run's final center; --stages adds each run's
// per-stage evaluations, steps and seconds.
#include <iostream>
#include <set>

#include "common.hpp"
#include "comparison_table.hpp"
#include "runner/status.hpp"
#include "store/experiment_repo.hpp"
#include "store/stage_repo.hpp"

namespace seedline::cli {
namespace {

struct StatusOptions {
  std::string experiment;
  bool stages = false;
  bool json = false;
};

// Failed runs keep what they committed: say how to resume them (docs/runner.md, "Retrying runs").
void print_retry_hint(const GlobalOptions& global, const std::vector<store::RunSummary>& runs) {
  std::set<int64_t> experiments;
  for (const auto& r : runs) {
    if (r.run.state == store::RunState::kFailed) experiments.insert(r.run.experiment_id);
  }
  for (const int64_t e : experiments) {
    std::cout << "failed runs of experiment " << e << " resume from their last committed generation, once the cause "
              << "is fixed, with `" << seedline_command(global) << " retry --experiment " << e << "`\n";
  }
}

void run_status(const GlobalOptions& global, const StatusOptions& options) {
  auto db = open_db(global, store::OpenPurpose::kRead);
  std::optional<int64_t> experiment;
  if (!options.experiment.empty()) experiment = store::resolve_experiment(db, options.experiment).id;
  const auto runs = store::run_summaries(db, experiment);
  std::vector<store::StageTotal> stages;
  if (options.stages) stages = store::stage_totals(db, experiment);
  // An ES run's result is its final center, not its best member (docs/es.md).
  std::vector<std::optional<runner::FinalCenter>> centers;
  for (const auto& r : runs) centers.push_back(runner::final_center(db, r.run));
  if (options.json) {
    auto out = options.stages ? runner::status_json(runs, stages) : runner::status_json(runs);
    for (size_t i = 0; i < runs.size(); ++i) out["runs"][i]["final_center"] = runner::final_center_json(centers[i]);
    print_json(out);
  } else {
    std::cout << runner::status_table(runs);
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!centers[i]) continue;
      const auto& c = *centers[i];
      std::cout << "run " << runs[i].run.id << " (evolution strategy): final center is individual " << c.individual
                << " (generation " << c.generation << "), "
                << (c.fitness ? "re-measured fitness " + format_number(*c.fitness, "%.6g")
                              : "not evaluated (`" + seedline_command(global) + " evaluate " +
                                    std::to_string(c.individual) + "`)")
                << "; export it with `" << seedline_command(global) << " genome " << c.individual
                << " --out center.safetensors`\n";
    }
    if (options.stages && !runs.empty()) std::cout << '\n' << runner::stage_table(runs, stages);
    print_retry_hint(global, runs);
  }
}

}  // namespace

void register_status_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("status", "Show every run's state, generation and best fitness");
  auto options = std::make_shared<StatusOptions>();
  cmd->add_option("--experiment", options->experiment, "Only this experiment (id or name)");
  cmd->add_flag("--stages", options->stages,
                "Also show each run's evaluations, environment steps and seconds per stage (sums over its generations)");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&global, options] { run_status(global, *options); });
}

}  // namespace seedline::cli
