// Run summaries: each run with its progress and best result, read in one query. This is
// what `seedline status` prints and the HTTP server's RUN objects are built from, so both
// agree on what "generation" and "best" mean:
//   last_generation  the newest committed generation (-1 before the first commit);
//   generations      the configured total (the condition's ga.generations);
//   best_fitness     the highest per-generation best over committed generations, and
//   best_individual  the individual that scored it (the earliest generation on a tie);
//   final_best       the best fitness of the newest committed generation. With noisy
//                    evaluation best_fitness is a maximum over noisy draws and so biased
//                    upward; final_best is what the run ends (or stands) at.
// Reads only the runs, conditions, experiments, generations and run_evaluator_versions
// tables (never individuals), so it stays fast however large a run's lineage grows.
//
// As thread-safe as the Database passed in (one per thread). Throws on a SQLite failure and
// kCorruption for a stored run state that is not one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/evaluator_repo.hpp"
#include "store/experiment_repo.hpp"

namespace seedline::store {

struct RunSummary {
  RunRow run;
  std::string experiment_name;
  int generations = 0;                     // configured total; 0 when the stored config lacks it
  int last_generation = -1;                // newest committed generation, -1 if none
  std::optional<double> best_fitness;      // nullopt before the first commit (or a NaN best)
  std::optional<int64_t> best_individual;  // nullopt before the first commit
  std::optional<double> final_best;        // best of generation last_generation; nullopt before
  std::vector<RunEvaluator> evaluators;    // external evaluators by generation (store/evaluator_repo.hpp)
};

// All runs, or one experiment's, by run id.
std::vector<RunSummary> run_summaries(Database& db, std::optional<int64_t> experiment_id = std::nullopt);
// One run; nullopt for an unknown id.
std::optional<RunSummary> run_summary(Database& db, int64_t run_id);

}  // namespace seedline::store
