// seedline delete --experiment NAME|ID [--yes] [--stale-after S]: remove an experiment and
// every row of it (src/runner/delete.hpp, docs/runner.md "Deleting an experiment"). Without
// --yes it only says what it would remove and exits 2, removing nothing; it refuses (exit 1,
// nothing removed) while a live daemon holds one of the experiment's runs.
#include <chrono>
#include <iostream>
#include <map>

#include "common.hpp"
#include "runner/delete.hpp"
#include "store/experiment_repo.hpp"

namespace seedline::cli {
namespace {

struct DeleteOptions {
  std::string experiment;
  bool yes = false;
  double stale_after = 60;
  bool json = false;
};

// {"TABLE": rows, ...} for every table, zeros included (the experiments row as "experiments").
nlohmann::ordered_json rows_json(const store::ExperimentRowCounts& c) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [table, n] : c.by_table()) out[table] = n;
  return out;
}

// "1 run" / "6 runs"; `one` and `many` are the singular and plural nouns.
std::string count_text(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Every table with rows, in words: "2 conditions, 6 runs, 1440 individuals, ...".
std::string rows_text(const store::ExperimentRowCounts& c) {
  static const std::map<std::string, std::pair<std::string, std::string>> kWords = {
      {"conditions", {"condition", "conditions"}},
      {"runs", {"run", "runs"}},
      {"individuals", {"individual", "individuals"}},
      {"generations", {"generation summary", "generation summaries"}},
      {"generation_stages", {"stage record", "stage records"}},
      {"generation_metrics", {"metric row", "metric rows"}},
      {"snapshots", {"snapshot", "snapshots"}},
      {"es_states", {"ES optimizer state", "ES optimizer states"}},
      {"reevaluations", {"re-evaluation", "re-evaluations"}},
      {"reevaluation_metrics", {"re-evaluation metric", "re-evaluation metrics"}},
      {"run_evaluator_versions", {"evaluator record", "evaluator records"}},
  };
  std::string out;
  for (const auto& [table, n] : c.by_table()) {
    const auto words = kWords.find(table);
    if (words == kWords.end()) continue;  // the experiments row itself: named separately
    // Runs and individuals are always named, even at 0, so the scale of a deletion is plain.
    if (n == 0 && table != "runs" && table != "individuals") continue;
    out += (out.empty() ? "" : ", ") + count_text(n, words->second.first, words->second.second);
  }
  return out;
}

// The run states of the experiment: "4 finished, 1 failed, 1 queued".
std::string states_text(store::Database& db, int64_t experiment_id) {
  std::map<std::string, int> by_state;
  for (const auto& r : store::list_runs(db, experiment_id)) ++by_state[std::string(store::run_state_name(r.state))];
  std::string out;
  for (const auto& [state, n] : by_state) out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  return out;
}

// Other experiments of the same name: `--experiment NAME` picks the newest, as everywhere.
// `deleted`: said after the deletion (the others are left).
std::string namesakes_text(store::Database& db, const store::ExperimentRow& e, bool deleted) {
  std::string ids;
  int n = 0;
  for (const auto& other : store::list_experiments(db)) {
    if (other.name != e.name || other.id == e.id) continue;
    ids += (ids.empty() ? "" : ", ") + std::to_string(other.id);
    ++n;
  }
  if (n == 0) return "";
  return "(" + std::string(n == 1 ? "another experiment is" : std::to_string(n) + " other experiments are") +
         (deleted ? " still" : "") + " named '" + e.name + "': id" + (n == 1 ? " " : "s ") + ids +
         (deleted ? ")\n" : "; a name means its newest experiment, name another by its id)\n");
}

void run_delete(const GlobalOptions& global, const DeleteOptions& o) {
  auto db = open_db(global, store::OpenPurpose::kWrite);
  const auto experiment = store::resolve_experiment(db, o.experiment);
  const std::string label = "experiment " + std::to_string(experiment.id) + " '" + experiment.name + "'";
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (!o.yes) {
    const auto counts = store::count_experiment_rows(db, experiment.id);
    const auto held = runner::held_runs(db, experiment.id, o.stale_after, now);
    const std::string hint = "nothing was removed; to delete " + label + ", run `" + seedline_command(global) +
                             " delete --experiment " + std::to_string(experiment.id) + " --yes`";
    if (o.json) {
      std::cout << nlohmann::ordered_json{{"experiment", experiment.id},
                                          {"name", experiment.name},
                                          {"deleted", false},
                                          {"would_remove", rows_json(counts)},
                                          {"held", held.empty() ? "" : runner::describe_held(held)}}
                       .dump()
                << std::endl;
      throw ExitStatus{report_error(hint, "usage error", 2, true)};
    }
    const std::string states = states_text(db, experiment.id);
    std::cout << label << ", submitted " << experiment.created_at << (states.empty() ? "" : ", runs " + states)
              << "\nwould remove: " << rows_text(counts) << '\n'
              << namesakes_text(db, experiment, false);
    if (!held.empty()) {
      std::cout << "in use now: a live daemon holds " << runner::describe_held(held)
                << "; deleting is refused until it stops\n";
    }
    std::cout << std::flush;
    std::cerr << "seedline: usage error: " << hint << '\n';
    throw ExitStatus{2};
  }
  const auto removed = runner::delete_experiment(db, experiment.id, o.stale_after, now);
  if (o.json) {
    std::cout << nlohmann::ordered_json{{"experiment", experiment.id},
                                        {"name", experiment.name},
                                        {"deleted", true},
                                        {"removed", rows_json(removed)}}
                     .dump()
              << '\n';
    return;
  }
  std::cout << "deleted " << label << ": " << rows_text(removed) << '\n' << namesakes_text(db, experiment, true);
}

}  // namespace

void register_delete_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "delete", "Delete an experiment and everything of it (runs, individuals, snapshots, metrics, re-evaluations)");
  auto o = std::make_shared<DeleteOptions>();
  cmd->add_option("--experiment", o->experiment, "Experiment id or name (a name means its newest experiment)")
      ->required();
  cmd->add_flag("--yes", o->yes, "Really delete; without it, only print what would be removed and exit 2");
  cmd->add_option("--stale-after", o->stale_after,
                  "Seconds without a heartbeat after which a running run no longer blocks the deletion (one whose "
                  "process on this host is gone never does)")
      ->check(finite_range(0.05, 1e7))
      ->capture_default_str();
  cmd->add_flag("--json", o->json,
                "Print {\"experiment\", \"name\", \"deleted\", \"removed\" (or \"would_remove\" and \"held\" without --yes): rows "
                "per table}");
  cmd->footer(
      "Refused while a live daemon holds one of the experiment's runs; the removal is one transaction. "
      "See docs/runner.md, \"Deleting an experiment\".");
  cmd->callback([&global, o] { run_delete(global, *o); });
}

}  // namespace seedline::cli
