// seedline inspect EXPERIMENT.json [--json]: every condition's tensors and parameter counts,
// without touching a database or a task's data file.
#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "genome/inspect.hpp"
#include "runner/submit.hpp"

namespace seedline::cli {
namespace {

struct InspectOptions {
  std::string file;
  bool json = false;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (const int64_t d : shape) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return s;
}

void run_inspect(const InspectOptions& options) {
  const auto spec = runner::read_experiment_file(options.file);
  const auto reports = genome::inspect_experiment(spec);
  if (options.json) {
    print_json(genome::inspect_json(reports));
    return;
  }
  for (const auto& r : reports) {
    std::cout << "condition '" << r.name << "': " << r.genotype_parameters << " genotype + " << r.fixed_parameters
              << " fixed = " << r.genotype_parameters + r.fixed_parameters << "; phenotype "
              << r.phenotype_parameters << "; one generation of " << r.population << " needs "
              << format_bytes(r.bytes_per_generation) << "\n";
    for (const auto& t : r.tensors) {
      std::string rep = t.representation;
      if (t.representation == "factorized" || t.representation == "lora") rep += " rank " + std::to_string(t.rank);
      char line[256];
      std::snprintf(line, sizeof line, "  %-28s %-14s %-20s %10lld\n", t.name.c_str(), shape_text(t.shape).c_str(),
                    rep.c_str(), static_cast<long long>(t.genotype_values));
      std::cout << line;
    }
  }
}

}  // namespace

void register_inspect_command(CLI::App& app, const GlobalOptions& /*global*/) {
  auto* cmd = app.add_subcommand(
      "inspect", "Show each condition's tensors and parameter counts (a dry run: writes nothing, reads no data file)");
  auto options = std::make_shared<InspectOptions>();
  cmd->add_option("EXPERIMENT", options->file, "Experiment file (JSON, comments allowed)")->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([options] { run_inspect(*options); });
}

}  // namespace seedline::cli
