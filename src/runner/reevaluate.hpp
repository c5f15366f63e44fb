// Re-measuring stored individuals on fresh episodes (`seedline evaluate`).
//
// A run's stored best fitness is the largest of many noisy estimates, so it is biased
// upward; re-evaluating the same individual on episodes it never met is an unbiased
// estimate of how good it is. reevaluate() rebuilds an individual from its seed lineage
// (checksums verified), runs `episodes` episodes on the LocalExecutor (an external task: an
// ExternalExecutor running the run's stored evaluator command, started for the measurement
// and stopped after it; the work interface: the individual is parent 0 and every episode an item) and summarizes them: mean, sample
// std, 95% Student-t CI of the mean, steps. Episode e's seed is
// evolve::derive(seed, Stream::kReevaluationEpisode, 0, e): the same --seed gives the same
// numbers, and every individual re-measured with one seed meets the same episodes (common
// random numbers). Deterministic tasks (Task::scores_once: the function tasks sphere and
// rastrigin, and language_model) are evaluated once whatever `episodes` says (episodes 1,
// std and CI undefined): the result is a fresh computation of the same value, equal bit for
// bit to the stored fitness on the same kernels.
// reevaluate_experiment() does it for every run's final best (the best individual of its
// last committed generation) and compares the conditions on the re-measured means with the
// rank tests of src/stats (docs/statistics.md).
//
// Thread-safety: as the Database (one per thread); the pool is used for the episodes.
// Failure: kNotFound for an unknown individual or experiment, kCorruption for a damaged
// lineage (rebuild), kFailedPrecondition when an experiment's run has no committed
// generation yet or the comparison is undefined (as stats::compare_groups), whatever the
// task throws (naming the episode, as the work interface does).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lineage/genotype_cache.hpp"
#include "runner/thread_pool.hpp"
#include "runner/work.hpp"
#include "stats/compare.hpp"
#include "store/database.hpp"
#include "store/experiment_repo.hpp"
#include "store/reevaluation_repo.hpp"

namespace seedline::runner {

struct ReevaluationOptions {
  int episodes = 100;  // environment tasks; 1..100000. Default: 100
  uint64_t seed = 0;   // the episode seeds derive from it. Default: 0
  bool store = true;   // keep the result in the database (needs a writable connection)
};

struct Reevaluation {
  int64_t individual = 0;
  int64_t run = 0;
  int generation = 0;                  // birth generation
  std::optional<double> stored_fitness;  // measured in the birth generation (during evolution)
  bool deterministic = false;          // a deterministic task: evaluated once
  std::string task;                    // the task's name, e.g. "language_model"
  uint64_t seed = 0;
  int episodes = 0;                    // run (1 for a function task)
  std::vector<double> rewards;         // per episode
  double mean = 0;
  double std = 0;                      // sample (ddof 1); NaN for one episode
  double ci_low = 0, ci_high = 0;      // 95% Student-t CI; NaN for one episode
  int64_t steps = 0;
  std::optional<int64_t> stored_id;    // the reevaluations row, when stored
  // An external evaluator's named metrics: per name (sorted), the mean over the episodes
  // that reported it; stored with the re-evaluation (table reevaluation_metrics).
  std::vector<store::ReevaluationMetric> metrics;
  // An external task: who measured it ("name" version "version"), and a warning when that is
  // not the evaluator the run recorded (its results may then not be comparable).
  std::optional<EvaluatorInfo> evaluator;
  std::string evaluator_warning;
};

// The seed of re-evaluation episode `episode` under `seed`.
uint64_t reevaluation_episode_seed(uint64_t seed, int episode);

Reevaluation reevaluate(store::Database& db, int64_t individual, const ReevaluationOptions& options, ThreadPool& pool,
                        lineage::GenotypeCache* cache = nullptr);

struct RunReevaluation {
  store::RunRow run;
  Reevaluation result;  // of the run's final best
};

struct ExperimentReevaluation {
  int64_t experiment = 0;
  std::string experiment_name;
  std::vector<std::string> conditions;  // file order
  std::vector<RunReevaluation> runs;    // by run id
  stats::Comparison comparison;         // re-measured means grouped by condition; empty (no groups)
                                        // when the experiment has one condition
};

ExperimentReevaluation reevaluate_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                             const ReevaluationOptions& options, ThreadPool& pool);

// {"individual", "run", "generation", "stored_fitness", "deterministic", "task", "seed" (decimal
// string), "episodes", "mean", "std", "ci95": [lo, hi], "steps", "rewards", "id"[, "evaluator":
// {"name", "version"} for an external task]};
// undefined numbers are null.
nlohmann::ordered_json to_json(const Reevaluation& r);
// {"experiment", "name", "episodes", "seed", "runs": [{"run", "condition", "trial",
// ...to_json(Reevaluation) without rewards}], "comparison": stats::to_json or null for one condition}.
nlohmann::ordered_json to_json(const ExperimentReevaluation& e, const ReevaluationOptions& options);

}  // namespace seedline::runner
