// The GA driver: evolves one claimed run to its end, one committed generation at a time.
//
// drive_run resumes from the run's last committed generation (its parents are rebuilt from
// their seed lineage through lineage::rebuild and the GenotypeCache) or starts at
// generation 0. Per generation it plans (evolve::plan_generation), evaluates stage by stage
// (evolve::evaluate_and_select) by handing work items to an Executor (work.hpp; by default a
// LocalExecutor streaming members over the thread pool, so memory does not grow with the
// population), has the executor derive the new parents, and commits in ONE transaction,
// conditional on still owning the run (store::owns_run):
//   - the newborn individuals (roots or children, with their birth fitness); elites are the
//     same rows as before, never new ones;
//   - the checksum of every selected parent;
//   - snapshots of the parents every ga.snapshot_every generations (generations
//     snapshot_every-1, 2*snapshot_every-1, ...) and of the final best in the last one;
//   - the generation summary row (id range, best/mean/median/std, parents best first,
//     evaluations, steps, timings) and one row per stage (evaluations, steps, wall seconds).
// Everything random is derived from the run seed (evolve/seeds.hpp), so a run killed at any
// moment and resumed ends with exactly the lineage and fitness history of an uninterrupted
// one, on any thread count.
//
// Summary statistics: mean/median/std are over the members whose fitness is not NaN; a std
// that is NaN because of infinite fitness values is stored as +inf. A generation in which
// every fitness is NaN fails the run (nothing to select from).
//
// Thread-safety: the Database is used only from the calling thread (the coordinator), which
// also heartbeats while the pool works: one writer connection per process.
// Failure: an error of the task, genome or stored config marks the run failed with the
// message and returns kFailed. A store I/O error (e.g. the disk is full) is rethrown and the
// run is left as it is: its heartbeat goes stale and any daemon resumes it later.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "lineage/genotype_cache.hpp"
#include "runner/progress.hpp"
#include "runner/thread_pool.hpp"
#include "runner/work.hpp"
#include "store/database.hpp"
#include "store/experiment_repo.hpp"
#include "tasks/task.hpp"

namespace seedline::runner {

// Where the time of one generation went, for benchmarks and reports.
struct GenerationTiming {
  int64_t run_id = 0;
  int generation = 0;
  double build_seconds = 0;   // deriving the new parents' genotypes
  double eval_seconds = 0;    // all stages (members are built as they are evaluated)
  double commit_seconds = 0;  // the commit transaction (database time)
  double total_seconds = 0;
  int64_t evaluations = 0;
  int64_t steps = 0;
};

struct DriverOptions {
  // Seconds between heartbeats while a generation is in flight. Default: 5.
  double heartbeat_seconds = 5;
  // Set (e.g. by SIGTERM) to stop at the next member, or inside one (an episode polls it every
  // few steps, the wait for evaluators every 50 ms): the run becomes paused. May be null.
  const std::atomic<bool>* stop = nullptr;
  // Progress output; null prints nothing.
  Progress* progress = nullptr;
  // Genotypes of parents, shared across runs of one database. Null: a private one per call.
  lineage::GenotypeCache* cache = nullptr;
  // Builds the task from the stored spec. Default (empty): tasks::make_task. Tests inject
  // tasks that throw.
  std::function<std::unique_ptr<tasks::Task>(const nlohmann::json&)> make_task;
  // Lines about the run that are not progress (the evaluator's identity, warnings). May be null.
  std::ostream* log = nullptr;
  // Where the evaluations run (docs/runner.md, "The work interface"). Null (default): a
  // LocalExecutor on the ThreadPool given to drive_run, or for an external task an
  // ExternalExecutor (its evaluator processes). Not owned; must outlive the call.
  Executor* executor = nullptr;
  // Called after each committed generation. May be empty.
  std::function<void(const GenerationTiming&)> on_generation;
};

enum class RunOutcome {
  kFinished,  // all generations committed, run released as finished
  kPaused,    // a stop was requested; released as paused (resumable)
  kFailed,    // the task or config failed; released as failed with the message
  kLost,      // another owner took the run over (our heartbeat went stale); nothing released
};

struct RunResult {
  RunOutcome outcome = RunOutcome::kFinished;
  std::string message;         // why it failed or paused
  int generations_run = 0;     // committed by this call
  int last_generation = -1;    // newest committed generation at the end
};

std::string_view outcome_name(RunOutcome outcome);

// Drives `run` (already claimed by `owner`, state running) until it finishes, fails, is
// paused by a stop request or is lost.
RunResult drive_run(store::Database& db, const store::RunRow& run, const std::string& owner, ThreadPool& pool,
                    const DriverOptions& options);

}  // namespace seedline::runner
