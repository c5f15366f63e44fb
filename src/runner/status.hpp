// What `seedline status` prints, from store::run_summaries.
//
// JSON (docs/runner.md): {"runs": [{"id", "experiment", "condition", "trial", "state",
// "generation", "generations", "best_fitness", "best_individual", "final_best",
// "experiment_name", "message", "evaluators"}]}, with "experiment" the experiment id,
// "generation" the last committed one (-1 before the first commit), "best_fitness" the best
// ever (the highest generation best), "final_best" the best of the newest committed
// generation, and null for a best that does not exist yet (or is not finite). The table
// labels them "best ever" and "final best" and says what each is. "evaluators" lists every
// external evaluator the run used (empty for built-in tasks): [{"generation" (the first it
// evaluated), "name", "version", "protocol", "command" (argv), "recorded_at"}].
// The table is one line per run, then a count per state. With per-stage totals (`seedline
// status --stages`), each run's JSON gains "stages": [{"stage", "generations", "evaluations",
// "steps", "seconds"}] (sums over its committed generations; [] when it has none) and
// stage_table prints one line per run and stage.
// A run's message (a failure may quote an evaluator's traceback) is shown sanitized and cut
// (util/utf8.hpp sanitize_text): at kTableMessageBytes in the table, kJsonMessageBytes in JSON,
// with "... (N bytes more)", so no stored message is ever printed whole when it is huge.
// The formatting functions are pure: safe from any thread; they do not fail. final_center
// reads the database (as thread-safe as the Database passed in).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/run_summary.hpp"
#include "store/stage_repo.hpp"

namespace seedline::runner {

inline constexpr size_t kTableMessageBytes = 2048;
inline constexpr size_t kJsonMessageBytes = 32768;

nlohmann::json run_status_json(const store::RunSummary& summary);
nlohmann::json evaluators_json(const std::vector<store::RunEvaluator>& evaluators);
nlohmann::json status_json(const std::vector<store::RunSummary>& runs);
nlohmann::json status_json(const std::vector<store::RunSummary>& runs, const std::vector<store::StageTotal>& stages);
std::string status_table(const std::vector<store::RunSummary>& runs);
// An evolution-strategies run's result: its final center (the newest committed generation's
// parent, born one generation later; docs/es.md), with its fitness when it has been
// evaluated: the center is not scored during the run, so this is the newest `seedline
// evaluate` re-measurement of it (nullopt before one).
struct FinalCenter {
  int64_t individual = 0;
  int generation = 0;             // its birth generation
  std::optional<double> fitness;  // the newest re-measurement's mean
};
// nullopt for a GA run, or an ES run before its first commit.
std::optional<FinalCenter> final_center(store::Database& db, const store::RunRow& run);
// {"id", "generation", "fitness"} or null.
nlohmann::json final_center_json(const std::optional<FinalCenter>& center);

std::string stage_table(const std::vector<store::RunSummary>& runs, const std::vector<store::StageTotal>& stages);

}  // namespace seedline::runner
