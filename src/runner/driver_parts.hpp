// The run driver's parts shared by its GA and ES generation loops (run_driver.cpp,
// es_generations.cpp); internal to src/runner/, not an API for other modules.
//
// Coordinator owns the coordinating thread's duties (heartbeats, the interrupt flag);
// RunContext is what one run needs across its generations; evaluate_generation runs a
// generation's stages through the executor; report_generation feeds the progress output.
// Thread-safety: everything here is used by the run's coordinating thread only (Coordinator::
// background runs one executor call on a helper thread while it heartbeats).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "evolve/experiment.hpp"
#include "evolve/ga.hpp"
#include "genome/genome.hpp"
#include "lineage/genotype_cache.hpp"
#include "runner/run_driver.hpp"
#include "runner/thread_pool.hpp"
#include "runner/work.hpp"
#include "store/metric_repo.hpp"
#include "store/run_repo.hpp"
#include "store/stage_repo.hpp"
#include "store/summary_repo.hpp"
#include "tasks/task.hpp"

namespace seedline::runner::detail {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Owns the coordinating thread's duties: the database connection, heartbeats while the pool
// works on another thread, and the interrupt flag the executor polls.
class Coordinator {
 public:
  Coordinator(store::Database& db, int64_t run_id, const std::string& owner, const DriverOptions& options)
      : db_(db), run_id_(run_id), owner_(owner), options_(options), last_beat_(Clock::now()) {}

  bool lost() const { return lost_.load(); }
  bool stop_requested() const { return options_.stop != nullptr && options_.stop->load(); }
  bool interrupted() const { return lost() || stop_requested(); }

  void beat() {
    last_beat_ = Clock::now();
    if (!store::heartbeat(db_, run_id_, owner_, unix_now())) lost_ = true;
  }
  void beat_if_due() {
    if (seconds_since(last_beat_) >= options_.heartbeat_seconds) beat();
  }

  // Runs `fn` (a call into the executor) on a helper thread while this thread heartbeats.
  void background(const std::function<void()>& fn) {
    auto done = std::async(std::launch::async, fn);
    const auto interval = std::chrono::duration<double>(options_.heartbeat_seconds);
    for (;;) {
      const auto next = last_beat_ + std::chrono::duration_cast<Clock::duration>(interval);
      if (done.wait_until(next) == std::future_status::ready) break;
      beat();
    }
    done.get();
  }

  std::function<bool()> interrupt_check() const {
    return [this] { return interrupted(); };
  }

 private:
  store::Database& db_;
  int64_t run_id_;
  const std::string& owner_;
  const DriverOptions& options_;
  Clock::time_point last_beat_;
  std::atomic<bool> lost_{false};
};

// Everything one run needs across its generations.
struct RunContext {
  const store::RunRow& run;
  evolve::ConditionConfig config;
  std::unique_ptr<genome::Genome> genome;
  std::unique_ptr<tasks::Task> task;
  Executor* executor = nullptr;
  RunLabel label;
  int current = -1;  // the generation being worked on, for messages
};

struct Parents {
  std::vector<int64_t> ids;          // best first
  std::vector<GenotypePtr> genotypes;
};

evolve::ConditionConfig load_config(store::Database& db, const store::RunRow& run);

// The episodes and steps `members` have run so far; a stage's record is the difference.
store::StageRecord stage_work(std::span<const int> members, std::span<const evolve::Evaluation> evaluations);

// The generation's summary; throws kFailedPrecondition when every fitness is NaN.
evolve::Summary summary_of(const evolve::SelectionResult& sel);

// One generation's evaluation: stage by stage, each stage's items through the executor.
// `stages` receives one record per stage: what it ran and its wall seconds; `metrics` one row
// per named metric the evaluator reported (summarize_metrics), empty when none did.
evolve::SelectionResult evaluate_generation(RunContext& ctx, Coordinator& co, int g,
                                            std::span<const evolve::Slot> slots,
                                            std::vector<store::StageRecord>& stages,
                                            std::vector<store::GenerationMetric>& metrics);

// Per metric name, per population member: the sum and count of the values its items reported.
using MetricSums = std::map<std::string, std::vector<std::pair<double, int>>>;
// Adds each result's metrics to its member's sums, in item order.
void accumulate_metrics(std::span<const WorkItem> items, std::span<const ItemResult> results, int population,
                        MetricSums& sums);
// One row per name (sorted): a member's value is its sum / count (NaN when it reported none);
// best is `best_member`'s value, mean/min/max over the members that reported it (mean summed
// in member order).
std::vector<store::GenerationMetric> summarize_metrics(const MetricSums& sums, int64_t run_id, int generation,
                                                       int best_member);

// Generation `g`'s summary row (ids, parents and best individual are the commit's to fill).
store::GenerationRow generation_row(const RunContext& ctx, int g, const evolve::Summary& summary, double eval_seconds,
                                    Clock::time_point start);

// After generation `g` committed: result counters, heartbeat, on_generation and progress.
struct GenerationTimes {
  Clock::time_point start;
  double build_seconds = 0, eval_seconds = 0, commit_seconds = 0;
};
void report_generation(const RunContext& ctx, Coordinator& co, const DriverOptions& options, int g,
                       const evolve::Summary& summary, const GenerationTimes& times, double& spent,
                       RunResult& result);

// Where an ES run stands: its current center (its row id once stored: center 0's row is
// written with generation 0), genotype and optimizer state.
struct EsPosition {
  std::optional<int64_t> center_id;
  GenotypePtr center;
  std::shared_ptr<const es::OptimizerState> state;
};
// Generation 0: center 0 = init(es::center_seed(run seed)) and the initial state; later: the
// center `last` names, rebuilt with its state from the store (es::rebuild_center, verified).
EsPosition es_position(store::Database& db, const RunContext& ctx, const store::GenerationRow* last, ThreadPool& pool);

// The ES generation loop (docs/es.md) from `start` to the end: kFinished or kLost
// (interrupts throw). The executor's run has begun with `position`.
RunOutcome run_es_generations(store::Database& db, RunContext& ctx, int start, EsPosition position, Coordinator& co,
                              const DriverOptions& options, lineage::GenotypeCache& cache, RunResult& result);

}  // namespace seedline::runner::detail
