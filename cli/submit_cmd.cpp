// seedline submit EXPERIMENT.json [--json]: store an experiment and queue its runs.
#include <iostream>

#include "common.hpp"
#include "runner/submit.hpp"

namespace seedline::cli {
namespace {

struct SubmitOptions {
  std::string file;
  bool json = false;
};

void run_submit(const GlobalOptions& global, const SubmitOptions& options) {
  // Checked before the database is opened, so a bad file does not create or initialize it.
  auto spec = runner::read_experiment_file(options.file);
  runner::check_experiment(spec, options.file);
  auto db = open_db(global, store::OpenPurpose::kCreate);
  const auto s = runner::submit_experiment(db, std::move(spec), options.file);
  if (options.json) {
    print_json({{"experiment", s.experiment_id},
                {"name", s.name},
                {"conditions", s.conditions},
                {"trials", s.trials},
                {"runs", s.runs}});
    return;
  }
  std::cout << "submitted experiment " << s.experiment_id << " '" << s.name << "': " << s.conditions.size()
            << " condition" << (s.conditions.size() == 1 ? "" : "s") << " x " << s.trials << " trial"
            << (s.trials == 1 ? "" : "s") << " = " << s.runs.size() << " queued run" << (s.runs.size() == 1 ? "" : "s")
            << " (ids " << s.runs.front() << ".." << s.runs.back() << ")\n"
            << "start them with `" << seedline_command(global) << " daemon` (or `" << seedline_command(global)
            << " daemon --once --experiment " << s.experiment_id << "`)\n";
}

}  // namespace

void register_submit_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("submit", "Store an experiment file and queue one run per (condition, trial)");
  auto options = std::make_shared<SubmitOptions>();
  cmd->add_option("EXPERIMENT", options->file, "Experiment file (JSON, comments allowed)")->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([&global, options] { run_submit(global, *options); });
}

}  // namespace seedline::cli
