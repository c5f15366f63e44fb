// Experiments, conditions, runs and per-generation summaries: the rows the runner writes and
// the dashboard, status and compare read. All SQL for these tables lives in
// experiment_repo.cpp. Functions take the caller's Database; they are not thread-safe beyond
// what a Database is (one per thread). Writers wrap calls in a store::Transaction when several
// must commit together (a generation commits in one transaction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

enum class RunState { kQueued, kRunning, kPaused, kFinished, kFailed };
std::string_view run_state_name(RunState state);
// Throws kCorruption for a name that is not a run state.
RunState parse_run_state(std::string_view name);

struct ExperimentRow {
  int64_t id = 0;
  std::string name;
  std::string spec;  // canonical JSON of the submitted file
  std::string created_at;
};

struct ConditionRow {
  int64_t id = 0;
  int64_t experiment_id = 0;
  int position = 0;
  std::string name;
  std::string config;  // resolved JSON
};

struct RunRow {
  int64_t id = 0;
  int64_t experiment_id = 0;
  int64_t condition_id = 0;
  std::string condition;  // condition name (read side)
  int trial = 0;
  uint64_t seed = 0;
  int noise_version = 1;
  int kernel_version = 1;  // the evaluation arithmetic (kernels/version.hpp)
  RunState state = RunState::kQueued;
  std::optional<std::string> owner;
  std::optional<double> heartbeat;
  std::optional<std::string> message;
  std::string created_at;
  std::string updated_at;
};

struct GenerationRow {
  int64_t run_id = 0;
  int generation = 0;
  int64_t first_individual = 0;  // id range born in this generation (inclusive)
  int64_t last_individual = 0;
  double best = 0, mean = 0, median = 0, std = 0;
  int64_t best_individual = 0;
  std::vector<int64_t> parents;  // selected parents, best first; the first `elites` are carried
  int64_t evaluations = 0;
  int64_t steps = 0;
  double eval_seconds = 0;
  double total_seconds = 0;
};

int64_t insert_experiment(Database& db, const std::string& name, const std::string& spec);
int64_t insert_condition(Database& db, int64_t experiment_id, int position, const std::string& name,
                         const std::string& config);
// Inserts a queued run; returns its id. kernel_version 1 is what every run made before kernel
// versions existed computes with (the column's default).
int64_t insert_run(Database& db, int64_t experiment_id, int64_t condition_id, int trial, uint64_t seed,
                   int noise_version, int kernel_version = 1);
void insert_generation(Database& db, const GenerationRow& row);

std::optional<ExperimentRow> find_experiment(Database& db, int64_t id);
// The newest experiment with this name.
std::optional<ExperimentRow> find_experiment_by_name(Database& db, const std::string& name);
std::vector<ExperimentRow> list_experiments(Database& db);
// An experiment by id (all digits) or else by name (the newest of that name); throws
// kNotFound "no experiment with id 7" / "no experiment named 'x'".
ExperimentRow resolve_experiment(Database& db, const std::string& id_or_name);
std::vector<ConditionRow> list_conditions(Database& db, int64_t experiment_id);
std::optional<ConditionRow> find_condition(Database& db, int64_t condition_id);
std::optional<RunRow> find_run(Database& db, int64_t id);
// All runs, or those of one experiment, by id.
std::vector<RunRow> list_runs(Database& db, std::optional<int64_t> experiment_id = std::nullopt);
// Summaries of one run, ordered by generation.
std::vector<GenerationRow> list_generations(Database& db, int64_t run_id);
std::optional<GenerationRow> last_generation(Database& db, int64_t run_id);

}  // namespace seedline::store
