// Run evaluators: which external evaluators (command, reported name and version) evaluated a
// run of an `external` task, and from which generation each (docs/evaluator-protocol.md).
// The first is recorded when a run's evaluators first start; a resumed run whose evaluators
// report another name, version or command adds a row from the generation it resumes at, so
// a fitness history that mixes evaluators says where.
//
// Functions take the caller's Database and are as thread-safe as it is (one per thread).
// Failure: SQLite errors as thrown by the store (kFailedPrecondition for an unknown run).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

struct RunEvaluator {
  int64_t run_id = 0;
  int64_t generation = 0;  // the first generation this evaluator evaluated
  std::string command;     // the argv as a JSON list
  std::string name;
  std::string version;
  int64_t protocol = 0;
  std::string recorded_at;  // UTC, ISO 8601; set by the store
};

// Every evaluator the run used, by generation; empty for runs of built-in tasks.
std::vector<RunEvaluator> list_run_evaluators(Database& db, int64_t run_id);

// Every run's evaluators of experiment `experiment_id`, by run id then generation.
std::map<int64_t, std::vector<RunEvaluator>> experiment_run_evaluators(Database& db, int64_t experiment_id);

// The evaluator in effect at `generation`: the last recorded at or before it.
std::optional<RunEvaluator> find_run_evaluator(Database& db, int64_t run_id, int64_t generation);

// Records `evaluator` as evaluating its run from `evaluator.generation` on, unless the one in
// effect there has the same name, version and command. A row at that very generation (a
// resume that committed nothing) is replaced. Returns true when this call wrote a row.
bool record_run_evaluator(Database& db, const RunEvaluator& evaluator);

}  // namespace seedline::store
