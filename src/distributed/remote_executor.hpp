// RemoteExecutor: the work interface (runner/work.hpp) spread over the ranks of a
// distributed job. It lives on rank 0, next to the database, and is what the run driver
// evaluates with under `--mpi`; ExecutorWorker (executor_worker.hpp) is its counterpart on
// every other rank.
//
// begin_run sends the run's config to every worker and, for a resumed run, each parent's
// genotype once; evaluate deals the items over the workers and rank 0's own threads
// (Dealer; an external task's items run in each rank's own evaluator processes, rank 0's
// too); advance_parents derives the new parents on rank 0 (a LocalExecutor, which the
// driver shares them from) and sends each worker the selection as slots + seeds with a
// digest of the new parents' checksums, which the workers check against their own. For an
// ES run advance_center updates the center on rank 0 and sends the members (seed, sign) and
// their fitnesses, and every worker applies the same fixed-order update (docs/es.md); a
// resumed ES run also sends the center's optimizer state once.
// Per generation it records the wire's byte counts (GenerationWire), handed to
// Options::on_generation at every advance_parents or advance_center.
//
// Thread-safety: as every Executor, one call at a time (the driver may make them from a
// helper thread; the transport is SERIALIZED). Failure: as every Executor; a worker's
// failure keeps the worker's error code, its message ends with "(on rank R (host))".
#pragma once

#include <functional>
#include <memory>

#include "distributed/dealer.hpp"
#include "runner/local_executor.hpp"
#include "runner/work.hpp"

namespace seedline::distributed {

// What one generation of a run cost on the wire, as counted by rank 0 (which every message
// passes through), from the end of the previous generation's selection (or the run's start)
// to the end of this one's.
struct GenerationWire {
  int64_t run_id = 0;
  int generation = 0;          // counted from the generation the run (re)started at
  int64_t evaluated = 0;       // items evaluated (episodes, or scores of function tasks)
  int64_t members = 0;         // distinct members evaluated (individuals, elites counted once a stage)
  WireCounters counters;       // this generation's messages by kind, sent and received
};

class RemoteExecutor final : public runner::Executor {
 public:
  struct Options {
    // rank 0's own evaluation threads; null: rank 0 only deals (its LocalExecutor then only
    // derives parents, on a one-thread pool of its own).
    runner::ThreadPool* local_pool = nullptr;
    // Polled while items are out: true ends the stage with RunInterrupted. May be empty.
    std::function<bool()> interrupted;
    // Called at the end of every generation. May be empty.
    std::function<void(const GenerationWire&)> on_generation;
  };

  RemoteExecutor(Dealer& dealer, Options options);
  ~RemoteExecutor() override;

  void begin_run(const runner::RunSetup& setup, std::span<const runner::GenotypePtr> parents) override;
  void evaluate(std::span<const runner::WorkItem> items, std::span<runner::ItemResult> results) override;
  void advance_parents(std::span<const evolve::Slot> sources) override;
  void advance_center(std::span<const evolve::Slot> members, std::span<const double> fitness) override;
  std::shared_ptr<const es::OptimizerState> shared_es_state() const override;
  std::vector<runner::GenotypePtr> shared_parents() const override;
  // rank 0's own evaluators' identity (an external task, when rank 0 evaluates).
  std::optional<runner::EvaluatorInfo> evaluator() const override { return local_->evaluator(); }
  void end_run() override;

 private:
  // Records the generation's wire counts and hands them to Options::on_generation.
  void end_generation();

  Dealer& dealer_;
  Options options_;
  std::unique_ptr<runner::ThreadPool> own_pool_;  // when no local_pool was given
  // Called by the constructor and begin_run: what rank 0's own executor polls.
  std::function<bool()> local_interrupted();

  runner::ThreadPool* local_pool_ = nullptr;      // options_.local_pool or own_pool_
  // rank 0's own share: a LocalExecutor, or an ExternalExecutor for an external task
  // (made at begin_run, runner::make_process_executor).
  std::unique_ptr<runner::Executor> local_;
  int64_t run_id_ = 0;
  bool running_ = false;
  GenerationWire current_;
  WireCounters mark_;  // the counters at the start of the current generation
};

// Conversions between the work interface and the wire (the wire's index is set by the dealer).
WorkItem to_wire(const runner::WorkItem& item);
runner::WorkItem from_wire(const WorkItem& item);
Source to_wire(const evolve::Slot& slot);
evolve::Slot from_wire(const Source& source);

}  // namespace seedline::distributed
