// What `seedline status` prints, from store::run_summaries.
//
// JSON (docs/runner.md): {"runs": [{"id", "experiment", "condition", "trial", "state",
// "generation", "generations", "best_fitness", "best_individual", "experiment_name",
// "message", "evaluators"}]}, with "experiment" the experiment id, "generation" the last
// committed one (-1 before the first commit), and null for a best that does not exist yet
// (or is not finite). "evaluators" lists every external evaluator the run used (empty for
// built-in tasks): [{"generation" (the first it evaluated), "name", "version", "protocol",
// "command" (argv), "recorded_at"}]. The table is one line per run, then a count per state.
// With per-stage totals (`seedline status --stages`), each run's JSON gains "stages": [{"stage", "generations", "evaluations",
// "steps", "seconds"}] (sums over its committed generations; [] when it has none) and
// stage_table prints one line per run and stage.
// A run's message (a failure may quote an evaluator's traceback) is shown sanitized and cut
// (util/utf8.hpp sanitize_text): at kTableMessageBytes in the table, kJsonMessageBytes in JSON,
// with "... (N bytes more)", so no stored message is ever printed whole when it is huge.
// Pure functions: safe from any thread; they do not fail.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
std::string stage_table(const std::vector<store::RunSummary>& runs, const std::vector<store::StageTotal>& stages);

}  // namespace seedline::runner
