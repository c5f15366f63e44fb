// Read-side summaries for the dashboard, `seedline compare` and the HTTP server: each run's
// newest generation, run counts by state, and an experiment's per-generation metrics in one
// query. (Each run's full progress and best result: store/run_summary.hpp.)
//
// These read only the runs, conditions, generations and generation_stages tables (never
// individuals), so they stay fast however large a lineage grows: the primary keys (run_id,
// generation[, stage]) serve every per-run range. All SQL lives in summary_repo.cpp. Functions take the caller's
// Database and are as thread-safe as it is (one per thread); they throw on a SQLite failure
// and kCorruption for a stored run state that is not one.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "store/experiment_repo.hpp"

namespace seedline::store {

// (run id, newest committed generation or -1) for each run of the experiment, by run id: the
// cheap part of run_summaries (a key seek per run), for callers that need no best fitness.
std::vector<std::pair<int64_t, int>> last_generations(Database& db, int64_t experiment_id);

struct StateCount {
  int64_t experiment_id = 0;
  RunState state = RunState::kQueued;
  int64_t runs = 0;
};

// How many runs each experiment has in each state (states with no run are absent).
std::vector<StateCount> run_state_counts(Database& db);

// The fitness summary of one committed generation of one run, and what it cost: evaluations,
// environment steps and wall seconds of the evaluation (eval_seconds: all stages; or one
// stage's when read through experiment_stage_metrics).
struct GenerationMetrics {
  int64_t run_id = 0;
  int generation = 0;
  double best = 0, mean = 0, median = 0;
  int64_t evaluations = 0, steps = 0;
  double seconds = 0;
};

// Every committed generation of every run of the experiment, ordered by run id then
// generation: what curves are drawn from. An unknown experiment gives no rows.
std::vector<GenerationMetrics> experiment_generation_metrics(Database& db, int64_t experiment_id);

// The rows of generation `generation` of the experiment's runs that committed it, by run id.
std::vector<GenerationMetrics> experiment_metrics_at(Database& db, int64_t experiment_id, int generation);

// Like experiment_generation_metrics / experiment_metrics_at, but with
// evaluations, steps and seconds of stage `stage` only. A generation without a record of
// that stage (a run with fewer stages, or committed before migration 0003) is left out.
std::vector<GenerationMetrics> experiment_stage_metrics(Database& db, int64_t experiment_id, int stage);
std::vector<GenerationMetrics> experiment_stage_metrics_at(Database& db, int64_t experiment_id, int stage,
                                                           int generation);

}  // namespace seedline::store
