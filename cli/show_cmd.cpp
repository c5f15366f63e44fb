// seedline show EXPERIMENT|--experiment EXPERIMENT [--json]: the stored, resolved experiment:
// every condition's network (each layer's defaults filled in), representation, task and ga
// (report::resolved_settings), the settings that differ between conditions, the noise and
// kernel versions its runs compute with, and for an `external` task every evaluator each run
// used.
#include <algorithm>
#include <iostream>
#include <set>

#include "common.hpp"
#include "comparison_table.hpp"
#include "report/settings.hpp"
#include "runner/status.hpp"
#include "store/evaluator_repo.hpp"
#include "store/experiment_repo.hpp"
#include "util/error.hpp"

namespace seedline::cli {
namespace {

nlohmann::ordered_json stored_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception&) {
    corruption(what + " is not valid JSON");
  }
}

void run_show(const GlobalOptions& global, const std::string& key, bool json) {
  auto db = open_db(global, store::OpenPurpose::kRead);
  const auto e = store::resolve_experiment(db, key);
  const auto conditions = store::list_conditions(db, e.id);
  std::vector<nlohmann::ordered_json> configs;
  std::vector<nlohmann::ordered_json> resolved;
  for (const auto& c : conditions) {
    configs.push_back(stored_json(c.config, "config of condition '" + c.name + "'"));
    resolved.push_back(report::resolved_settings(configs.back()));
  }
  const auto differences = report::differing_settings(resolved);
  const auto spec = stored_json(e.spec, "spec of experiment " + std::to_string(e.id));
  const auto evaluators = store::experiment_run_evaluators(db, e.id);
  // Every run of an experiment is made at submission with the binary's newest versions, so
  // one value each is the rule; a set shows it if that ever differs.
  std::set<int> noise_versions, kernel_versions;
  for (const auto& r : store::list_runs(db, e.id)) {
    noise_versions.insert(r.noise_version);
    kernel_versions.insert(r.kernel_version);
  }
  const auto joined = [](const std::set<int>& values) {
    std::string out;
    for (const int v : values) out.append(out.empty() ? "" : ", ").append(std::to_string(v));
    return out;
  };
  if (json) {
    nlohmann::ordered_json out = {{"id", e.id},
                                  {"name", e.name},
                                  {"created_at", e.created_at},
                                  {"spec", spec},
                                  {"noise_versions", noise_versions},
                                  {"kernel_versions", kernel_versions}};
    out["conditions"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < conditions.size(); ++i) {
      out["conditions"].push_back({{"name", conditions[i].name}, {"position", conditions[i].position},
                                   {"config", configs[i]}, {"resolved", resolved[i]}});
    }
    out["settings_differ"] = report::to_json(differences);
    // Runs of an `external` task: every evaluator each used, from the generation it began.
    out["evaluators"] = nlohmann::ordered_json::array();
    for (const auto& [run, list] : evaluators) {
      for (const auto& one : runner::evaluators_json(list)) {
        nlohmann::ordered_json entry = {{"run", run}};
        for (const auto& [k, v] : one.items()) entry[k] = v;
        out["evaluators"].push_back(std::move(entry));
      }
    }
    std::cout << out.dump(2) << '\n';
    return;
  }
  std::cout << "experiment " << e.id << " '" << e.name << "', created " << e.created_at << ": "
            << conditions.size() << " condition" << (conditions.size() == 1 ? "" : "s");
  if (spec.contains("trials")) std::cout << " x " << spec["trials"].dump() << " trials";
  if (spec.contains("seed")) std::cout << ", master seed " << spec["seed"].dump();
  if (!kernel_versions.empty()) {
    std::cout << "\nruns compute with noise version " << joined(noise_versions) << ", kernel version "
              << joined(kernel_versions) << " (docs/kernels.md)";
  }
  std::cout << "\n\n";
  if (conditions.size() > 1) {
    if (differences.empty()) {
      std::cout << "the conditions' settings are all the same\n\n";
    } else {
      size_t width = 9;
      for (const auto& d : differences) width = std::max(width, d.setting.size() + 2);
      std::cout << "settings that differ between conditions:\n" << pad("setting", width);
      std::vector<size_t> widths;
      for (size_t i = 0; i < conditions.size(); ++i) {
        size_t w = conditions[i].name.size() + 2;
        for (const auto& d : differences) w = std::max(w, (d.values[i] ? d.values[i]->size() : 1) + 2);
        widths.push_back(w);
        std::cout << pad(conditions[i].name, w);
      }
      std::cout << '\n';
      for (const auto& d : differences) {
        std::cout << pad(d.setting, width);
        for (size_t i = 0; i < d.values.size(); ++i) std::cout << pad(d.values[i].value_or("-"), widths[i]);
        std::cout << '\n';
      }
      std::cout << '\n';
    }
  }
  for (size_t i = 0; i < conditions.size(); ++i) {
    std::cout << "condition '" << conditions[i].name << "' (resolved):\n" << resolved[i].dump(2) << "\n\n";
  }
  if (!evaluators.empty()) {
    std::cout << "evaluators (each from the generation it first evaluated):\n";
    for (const auto& [run, list] : evaluators) {
      std::cout << "  run " << run << ":";
      for (size_t k = 0; k < list.size(); ++k) {
        std::cout << (k ? ";" : "") << " '" << list[k].name << "' version '" << list[k].version
                  << "' from generation " << list[k].generation;
      }
      std::cout << (list.size() > 1 ? "  (evaluator changed on resume)\n" : "\n");
    }
  }
}

}  // namespace

void register_show_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("show", "Print an experiment as stored: every condition's resolved settings");
  auto key = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  // Positional as first documented, and --experiment as every other command takes it.
  auto* positional = cmd->add_option("EXPERIMENT", *key, "Experiment id or name");
  auto* named = cmd->add_option("--experiment", *key, "Experiment id or name (the same as EXPERIMENT)");
  positional->excludes(named);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&global, key, json, positional, named] {
    if (positional->count() == 0 && named->count() == 0) {
      throw CLI::ValidationError("show", "give the experiment, as EXPERIMENT or --experiment EXPERIMENT");
    }
    run_show(global, *key, *json);
  });
}

}  // namespace seedline::cli
