// Synthetic experiments written through the store's writer API, as the runner would write
// them: conditions, runs, per-generation summaries and a small lineage per run. For tests of
// compare, curves, the HTTP server and the CLI that reads them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "store/experiment_repo.hpp"

namespace seedline::testing {

struct FixtureRun {
  std::string condition;
  int trial = 0;
  // best[g] is the run's best fitness of generation g (its committed generations are
  // 0..best.size()-1); mean is best - 1 and median best - 0.5.
  std::vector<double> best;
  store::RunState state = store::RunState::kFinished;
};

struct FixtureExperiment {
  std::string name = "fixture";
  std::vector<std::string> conditions;
  std::vector<FixtureRun> runs;
  int generations = 0;      // configured ga.generations (0: the longest run's length)
  int population = 3;       // individuals born per generation
};

struct FixtureIds {
  int64_t experiment = 0;
  std::map<std::string, int64_t> conditions;             // by name
  std::map<std::pair<std::string, int>, int64_t> runs;   // by (condition, trial)
  // Per run id: the best individual of each generation (a child of the previous one's).
  std::map<int64_t, std::vector<int64_t>> best_individuals;
};

// Writes `e` into `db` (which must hold the current schema) in one transaction.
FixtureIds write_experiment(store::Database& db, const FixtureExperiment& e);

// A new database file at `path` with the current schema (closed again).
void create_database(const std::filesystem::path& path);

}  // namespace seedline::testing
