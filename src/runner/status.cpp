#include "runner/status.hpp"

#include <cmath>
#include <cstdio>
#include <map>

#include "util/utf8.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/reevaluation_repo.hpp"

namespace seedline::runner {
namespace {

nlohmann::json finite_or_null(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

std::string fitness_text(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", *v);
  return buf;
}

}  // namespace

nlohmann::json run_status_json(const store::RunSummary& s) {
  return {{"id", s.run.id},
          {"experiment", s.run.experiment_id},
          {"experiment_name", s.experiment_name},
          {"condition", s.run.condition},
          {"trial", s.run.trial},
          {"state", std::string(store::run_state_name(s.run.state))},
          {"generation", s.last_generation},
          {"generations", s.generations},
          {"best_fitness", finite_or_null(s.best_fitness)},
          {"best_individual", s.best_individual ? nlohmann::json(*s.best_individual) : nlohmann::json(nullptr)},
          {"final_best", finite_or_null(s.final_best)},
          {"message", s.run.message ? nlohmann::json(sanitize_text(*s.run.message, kJsonMessageBytes, true))
                                    : nlohmann::json(nullptr)},
          {"evaluators", evaluators_json(s.evaluators)}};
}

nlohmann::json evaluators_json(const std::vector<store::RunEvaluator>& evaluators) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : evaluators) {
    // The command was stored as JSON; should it not parse, it is shown as the text it is.
    auto command = nlohmann::json::parse(e.command, nullptr, false);
    if (command.is_discarded()) command = e.command;
    out.push_back({{"generation", e.generation},
                   {"name", e.name},
                   {"version", e.version},
                   {"protocol", e.protocol},
                   {"command", command},
                   {"recorded_at", e.recorded_at}});
  }
  return out;
}

std::optional<FinalCenter> final_center(store::Database& db, const store::RunRow& run) {
  const auto condition = store::find_condition(db, run.condition_id);
  if (!condition) return std::nullopt;
  const auto config = nlohmann::json::parse(condition->config, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("algorithm") || !config["algorithm"].is_object() ||
      config["algorithm"].value("type", "") != "es") {
    return std::nullopt;
  }
  const auto last = store::last_generation(db, run.id);
  if (!last || last->parents.empty()) return std::nullopt;
  const auto row = store::find_individual(db, last->parents.front());
  if (!row) return std::nullopt;
  FinalCenter out{row->id, row->generation, row->fitness};
  if (!out.fitness) {
    const auto measured = store::reevaluations_of(db, row->id);
    if (!measured.empty()) out.fitness = measured.back().mean;
  }
  return out;
}

nlohmann::json final_center_json(const std::optional<FinalCenter>& center) {
  if (!center) return nullptr;
  return {{"id", center->individual}, {"generation", center->generation}, {"fitness", finite_or_null(center->fitness)}};
}

nlohmann::json status_json(const std::vector<store::RunSummary>& runs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : runs) out.push_back(run_status_json(r));
  return {{"runs", out}};
}

nlohmann::json status_json(const std::vector<store::RunSummary>& runs, const std::vector<store::StageTotal>& stages) {
  std::map<int64_t, nlohmann::json> by_run;
  for (const auto& t : stages) {
    auto& list = by_run[t.run_id];
    if (list.is_null()) list = nlohmann::json::array();
    list.push_back({{"stage", t.stage},
                    {"generations", t.generations},
                    {"evaluations", t.total.evaluations},
                    {"steps", t.total.steps},
                    {"seconds", t.total.seconds}});
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : runs) {
    auto j = run_status_json(r);
    const auto it = by_run.find(r.run.id);
    j["stages"] = it == by_run.end() ? nlohmann::json::array() : it->second;
    out.push_back(std::move(j));
  }
  return {{"runs", out}};
}

std::string stage_table(const std::vector<store::RunSummary>& runs, const std::vector<store::StageTotal>& stages) {
  std::string out = "per stage, summed over committed generations:\n";
  char line[256];
  std::snprintf(line, sizeof line, "%6s  %-14s %5s  %5s  %11s  %12s  %14s  %10s\n", "run", "condition", "trial",
                "stage", "generations", "evaluations", "steps", "seconds");
  out += line;
  std::map<int64_t, const store::RunSummary*> by_id;
  for (const auto& r : runs) by_id[r.run.id] = &r;
  for (const auto& t : stages) {
    const auto it = by_id.find(t.run_id);
    if (it == by_id.end()) continue;
    const auto& r = *it->second;
    std::snprintf(line, sizeof line, "%6lld  %-14.14s %5d  %5d  %11d  %12lld  %14lld  %10.3f\n",
                  static_cast<long long>(t.run_id), r.run.condition.c_str(), r.run.trial, t.stage, t.generations,
                  static_cast<long long>(t.total.evaluations), static_cast<long long>(t.total.steps), t.total.seconds);
    out += line;
  }
  if (stages.empty()) out += "(no per-stage records yet)\n";
  return out;
}

std::string status_table(const std::vector<store::RunSummary>& runs) {
  if (runs.empty()) return "no runs\n";
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%6s  %-20s  %-14s %5s  %-8s  %11s  %12s  %10s  %12s\n", "run", "experiment",
                "condition", "trial", "state", "done", "best ever", "best id", "final best");
  out += line;
  std::map<std::string, int> states;
  for (const auto& r : runs) {
    const std::string experiment = r.experiment_name + "#" + std::to_string(r.run.experiment_id);
    const std::string progress = std::to_string(r.last_generation + 1) + "/" + std::to_string(r.generations);
    const std::string state(store::run_state_name(r.run.state));
    ++states[state];
    std::snprintf(line, sizeof line, "%6lld  %-20.20s  %-14.14s %5d  %-8s  %11s  %12s  %10s  %12s",
                  static_cast<long long>(r.run.id), experiment.c_str(), r.run.condition.c_str(), r.run.trial,
                  state.c_str(), progress.c_str(), fitness_text(r.best_fitness).c_str(),
                  r.best_individual ? std::to_string(*r.best_individual).c_str() : "-",
                  fitness_text(r.final_best).c_str());
    out += line;
    if (r.run.message && (r.run.state == store::RunState::kFailed || r.run.state == store::RunState::kPaused)) {
      out += "  " + sanitize_text(*r.run.message, kTableMessageBytes, true);
    }
    out += "\n";
  }
  std::string counts;
  for (const auto& [state, n] : states) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  out += std::to_string(runs.size()) + " run" + (runs.size() == 1 ? "" : "s") + ": " + counts + "\n";
  // Two bests that can differ widely under noisy evaluation; say which is which.
  out += "best ever: the highest generation best of the run (a maximum over noisy evaluations, biased upward; "
         "\"best id\" scored it); final best: the best of its newest committed generation, as `compare` sees it\n";
  return out;
}

}  // namespace seedline::runner
