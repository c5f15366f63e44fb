// seedline export --experiment NAME|ID [--format csv|json] [--out FILE]
// seedline export --individuals --run ID [--format csv|json] [--out FILE]
// seedline export --experiment NAME|ID --metrics [--members] [--format csv|json] [--out FILE]
// An experiment's per-generation summaries as one long table (one row per run and
// generation), or one run's individuals, for pandas or R; to stdout or, atomically, a file.
#include <iostream>
#include <sstream>

#include "common.hpp"
#include "report/export.hpp"
#include "store/experiment_repo.hpp"
#include "util/output_path.hpp"

namespace seedline::cli {
namespace {

struct ExportOptions {
  std::string experiment;
  bool individuals = false;
  bool metrics = false;  // the evaluator's named metrics instead of the generations
  bool members = false;  // with metrics: one row per member
  int64_t run = 0;
  std::string format = "csv";
  std::string out;  // empty: stdout
};

void run_export(const GlobalOptions& global, const ExportOptions& o) {
  if (!o.out.empty()) check_output_path(o.out);
  const auto format = report::parse_table_format(o.format);
  auto db = open_db(global, store::OpenPurpose::kRead);
  std::ostringstream file;
  std::ostream& out = o.out.empty() ? std::cout : file;
  int64_t rows = 0;
  std::string what;
  if (o.individuals) {
    rows = report::write_individuals_table(db, o.run, format, out);
    what = "individuals of run " + std::to_string(o.run);
  } else if (o.metrics) {
    const auto experiment = store::resolve_experiment(db, o.experiment);
    rows = report::write_metrics_table(db, experiment.id, o.members, format, out);
    what = std::string(o.members ? "member metric" : "metric") + " rows of experiment " +
           std::to_string(experiment.id) + " '" + experiment.name + "'";
  } else {
    const auto experiment = store::resolve_experiment(db, o.experiment);
    rows = report::write_generations_table(db, experiment.id, format, out);
    what = "generation rows of experiment " + std::to_string(experiment.id) + " '" + experiment.name + "'";
  }
  if (o.out.empty()) return;
  write_file_atomically(o.out, file.str());
  std::cerr << "wrote " << rows << ' ' << what << " to " << o.out << '\n';
}

}  // namespace

void register_export_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "export", "Write an experiment's per-generation table (or a run's individuals) as CSV or JSON");
  auto o = std::make_shared<ExportOptions>();
  auto* experiment = cmd->add_option("--experiment", o->experiment, "Experiment id or name");
  auto* individuals =
      cmd->add_flag("--individuals", o->individuals, "The individuals of one run (--run) instead of the generations");
  auto* run = add_id_option(cmd, "--run", o->run, "Run id (with --individuals)");
  run->required(false);
  auto* metrics = cmd->add_flag("--metrics", o->metrics,
                                "The named metrics the evaluator returned, per run, generation and name");
  auto* members = cmd->add_flag("--members", o->members, "With --metrics: one row per member and metric");
  cmd->add_option("--format", o->format, "csv or json")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Output file, written atomically (default: stdout)");
  individuals->needs(run);
  run->needs(individuals);
  experiment->excludes(individuals);
  metrics->needs(experiment);
  members->needs(metrics);
  cmd->callback([&global, o] {
    if (!o->individuals && o->experiment.empty()) {
      throw CLI::ValidationError("export needs --experiment NAME|ID (or --individuals --run ID)");
    }
    run_export(global, *o);
  });
}

}  // namespace seedline::cli
