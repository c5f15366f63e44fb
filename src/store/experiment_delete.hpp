// Removing an experiment and every row that belongs to it (`seedline delete`, docs/runner.md,
// "Deleting an experiment"): its conditions, runs, individuals, generation summaries,
// per-stage records, named metrics, snapshots, ES optimizer states, re-evaluations and
// evaluator records. All SQL for it lives in experiment_delete.cpp; every table of
// schema/schema.sql that hangs off an experiment is listed there (tests/store/
// experiment_delete_test.cpp fills each and checks it is emptied of that experiment only).
//
// Functions take the caller's Database and are as thread-safe as it is (one per thread).
// Throws on a SQLite failure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

// Rows of one experiment, per table (what a deletion would remove, or removed).
struct ExperimentRowCounts {
  int64_t experiments = 0;
  int64_t conditions = 0;
  int64_t runs = 0;
  int64_t individuals = 0;
  int64_t generations = 0;
  int64_t generation_stages = 0;
  int64_t generation_metrics = 0;
  int64_t snapshots = 0;
  int64_t es_states = 0;
  int64_t reevaluations = 0;
  int64_t reevaluation_metrics = 0;
  int64_t run_evaluator_versions = 0;

  // (table name, count) in the order above, for printing and tests.
  std::vector<std::pair<std::string, int64_t>> by_table() const;
};

// Counts the rows of `experiment_id` in every table (all zero for an unknown id).
ExperimentRowCounts count_experiment_rows(Database& db, int64_t experiment_id);

// Deletes them in one BEGIN IMMEDIATE transaction, all or nothing, and returns what each
// table lost. `check` runs first inside the transaction, so it sees exactly the state that
// is removed (no daemon can claim or commit meanwhile); it throws to refuse, and then nothing
// is removed. Foreign-key enforcement is switched off for the transaction and back on after
// it (it cannot change inside one): individuals.parent_id and generations.best_individual
// have no index, so SQLite would scan those tables once per deleted individual (quadratic in
// a large run); the deletion removes every dependent row itself, dependents first.
ExperimentRowCounts delete_experiment(Database& db, int64_t experiment_id, const std::function<void()>& check);

}  // namespace seedline::store
