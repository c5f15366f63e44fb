// Per-stage records of every generation (table generation_stages, migration 0003): how many
// evaluations and environment steps each stage of a staged evaluation ran and how many wall
// seconds it took, the data of the paper's Figure 6. The runner writes them right after the
// generation row, in the same commit transaction, so over a generation's stages
// evaluations and steps sum to the generation row's.
//
// All SQL for the table lives in stage_repo.cpp (the experiment-wide metric reads that join
// it are in summary_repo.hpp). Functions take the caller's Database and are
// as thread-safe as it is (one per thread); they throw on a SQLite failure (inserting a
// stage of a generation that has no row is a foreign-key failure, kFailedPrecondition).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

// One stage of one generation; the stage is its index in ga.stages (from 0).
struct StageRecord {
  int64_t evaluations = 0;  // episodes (or function evaluations)
  int64_t steps = 0;        // environment steps
  double seconds = 0;       // wall seconds
};

struct StageRow {
  int64_t run_id = 0;
  int generation = 0;
  int stage = 0;
  StageRecord record;
};

// Writes stage i of (run_id, generation) from stages[i]. The generation row must exist.
void insert_stages(Database& db, int64_t run_id, int generation, std::span<const StageRecord> stages);

// Every stage row of the run, by generation then stage.
std::vector<StageRow> list_stages(Database& db, int64_t run_id);

// Sums over a run's committed generations, per stage: what `seedline status --stages` shows.
struct StageTotal {
  int64_t run_id = 0;
  int stage = 0;
  int generations = 0;  // generations that recorded the stage
  StageRecord total;
};
// All runs', or one experiment's, by run id then stage.
std::vector<StageTotal> stage_totals(Database& db, std::optional<int64_t> experiment_id = std::nullopt);

}  // namespace seedline::store
