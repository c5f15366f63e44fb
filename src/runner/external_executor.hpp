// ExternalExecutor: the work interface (work.hpp) served by external evaluator processes
// (the `external` task; docs/evaluator-protocol.md).
//
// begin_run starts the run's evaluator::EvaluatorPool (up to the task's `workers` processes
// of its `command`: no more than the first stage's items, population x episodes) and waits
// for their handshakes; the HELLO carries the phenotype's tensor
// layout (names and shapes from the architecture), the network (describe_network) and the
// task spec. evaluate() derives and develops each member's phenotype once on the thread pool
// (parents + the member's Slot, as LocalExecutor does), then sends one work item per
// (member, episode) with the item's episode seed to the evaluator pool; results[i] is the
// evaluator's answer for items[i], whichever worker gave it. end_run stops the processes.
// The executor keeps the parents' genotypes in this process and shares them
// (shared_parents), like LocalExecutor.
//
// Thread-safety: as every Executor (one driving thread at a time; begin_run and evaluate
// may run on different short-lived threads: the processes are started on the pool's own
// thread). Failure: as every Executor; an evaluator fault is a seedline::Error
// (kFailedPrecondition) whose message starts with describe(item) and names the worker and
// its last output lines; a missing program is kNotFound at begin_run. `interrupted` is
// polled every 50 ms while waiting for evaluators: RunInterrupted, busy workers killed.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "evaluator/pool.hpp"
#include "runner/thread_pool.hpp"
#include "runner/work.hpp"

namespace seedline::runner {

class ExternalExecutor final : public Executor {
 public:
  ExternalExecutor(ThreadPool& pool, std::function<bool()> interrupted);
  ~ExternalExecutor() override;

  void begin_run(const RunSetup& setup, std::span<const GenotypePtr> parents) override;
  void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) override;
  void advance_parents(std::span<const evolve::Slot> sources) override;
  void advance_center(std::span<const evolve::Slot> members, std::span<const double> fitness) override;
  std::vector<GenotypePtr> shared_parents() const override { return parents_; }
  std::shared_ptr<const es::OptimizerState> shared_es_state() const override;
  void end_run() override;

  // What the evaluators reported in their handshake; valid between begin_run and end_run.
  const evaluator::EvaluatorIdentity& identity() const { return evaluators_->identity(); }
  std::optional<EvaluatorInfo> evaluator() const override;
  // The command the evaluators run (the task's `command`).
  const std::vector<std::string>& command() const { return command_; }

 private:
  void tick() const;

  ThreadPool& pool_;
  std::function<bool()> interrupted_;
  std::unique_ptr<genome::Genome> own_genome_;
  std::unique_ptr<tasks::Task> own_task_;
  const genome::Genome* genome_ = nullptr;
  std::vector<std::string> command_;
  std::vector<GenotypePtr> parents_;
  std::unique_ptr<EsWork> es_;  // ES runs: the perturbation and the center's optimizer state
  std::unique_ptr<evaluator::EvaluatorPool> evaluators_;
};

// True when `condition` (evolve::ConditionConfig::to_json) has an external task.
bool has_external_task(const nlohmann::json& condition);

// The executor a process uses for its own share of a run's evaluations: an ExternalExecutor
// (this process's own evaluator pool) for an external task, else a LocalExecutor. Used by
// every MPI rank, each starting its rank-local evaluators (docs/distributed.md).
std::unique_ptr<Executor> make_process_executor(const nlohmann::json& condition, ThreadPool& pool,
                                                std::function<bool()> interrupted);

// The condition's network as the evaluator sees it: every layer object of the file with
// "type", "activation", its tensors' names under "tensors", and "in"/"out" filled in.
nlohmann::json describe_network(const genome::Architecture& architecture, const nlohmann::json& network);

}  // namespace seedline::runner
