// seedline show EXPERIMENT [--json]: the stored, resolved experiment: every condition's
// network, representation, task and ga with the defaults filled in, and the settings that
// differ between conditions, and the noise and kernel versions its runs compute with.
#include <algorithm>
#include <iostream>
#include <set>

#include "common.hpp"
#include "comparison_table.hpp"
#include "report/settings.hpp"
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
  for (const auto& c : conditions) configs.push_back(stored_json(c.config, "config of condition '" + c.name + "'"));
  const auto differences = report::differing_settings(configs);
  const auto spec = stored_json(e.spec, "spec of experiment " + std::to_string(e.id));
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
                                   {"config", configs[i]}});
    }
    out["settings_differ"] = report::to_json(differences);
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
    std::cout << "condition '" << conditions[i].name << "' (resolved):\n" << configs[i].dump(2) << "\n\n";
  }
}

}  // namespace

void register_show_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("show", "Print an experiment as stored: every condition's resolved settings");
  auto key = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("EXPERIMENT", *key, "Experiment id or name")->required();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&global, key, json] { run_show(global, *key, *json); });
}

}  // namespace seedline::cli
