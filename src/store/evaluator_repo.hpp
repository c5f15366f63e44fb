// Run evaluators: which external evaluator (command, reported name and version) evaluated a
// run of an `external` task, recorded when its evaluators first started
// (docs/evaluator-protocol.md). A resumed run compares the record with what its evaluators
// report now.
//
// Functions take the caller's Database and are as thread-safe as it is (one per thread).
// Failure: SQLite errors as thrown by the store (kFailedPrecondition for an unknown run).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/database.hpp"

namespace seedline::store {

struct RunEvaluator {
  int64_t run_id = 0;
  std::string command;  // the argv as a JSON list
  std::string name;
  std::string version;
  int64_t protocol = 0;
  std::string recorded_at;  // UTC, ISO 8601; set by the store
};

std::optional<RunEvaluator> find_run_evaluator(Database& db, int64_t run_id);

// Records the run's evaluator unless one is recorded already (the first one stays: it
// produced the run's first generations). Returns true when this call recorded it.
bool record_run_evaluator(Database& db, const RunEvaluator& evaluator);

}  // namespace seedline::store
