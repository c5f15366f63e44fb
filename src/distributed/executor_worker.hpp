// ExecutorWorker: a worker rank's side of the work interface. The worker loop
// (worker.hpp) hands it rank 0's messages; it keeps the run's parents in a
// runner::LocalExecutor on this rank's thread pool (for an external task an
// ExternalExecutor: this rank's own evaluator processes), exactly as a single process would:
// built from the config and noise version on run start, seeded with the parents' genotypes
// when a run resumes mid-way (each checked against its checksum), advanced by slot + seed at
// every selection (the new parents' checksums checked against rank 0's digest; for an ES run
// the center's update from the members' fitnesses, its checksum checked the same way), and
// evaluating each dealt batch.
//
// Thread-safety: called by the worker loop only (one call at a time). Failure: a genotype
// out of order or with the wrong checksum, and a digest that differs from rank 0's, throw
// seedline::Error kCorruption naming the rank's host, the run and what differs; the worker
// loop then fails that run's items with the message.
#pragma once

#include <memory>
#include <vector>

#include "distributed/worker.hpp"
#include "runner/local_executor.hpp"

namespace seedline::distributed {

class ExecutorWorker final : public WorkerHandler {
 public:
  explicit ExecutorWorker(runner::ThreadPool& pool);
  ~ExecutorWorker() override;

  int threads() const override { return pool_.size(); }
  void start_run(const RunStart& start) override;
  void add_genotype(Genotype genotype) override;
  void add_es_state(EsState state) override;
  void select(const Selection& selection) override;
  void update_center(const CenterUpdate& update) override;
  void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) override;
  void end_run(int64_t run_id) override;

 private:
  void check_begun() const;
  // The parents' (an ES run: the center's) checksums against rank 0's digest.
  void check_digest(uint64_t expected) const;

  runner::ThreadPool& pool_;
  std::unique_ptr<runner::Executor> executor_;  // made at each run start
  runner::RunSetup setup_;
  uint32_t expected_parents_ = 0;
  std::vector<runner::GenotypePtr> arriving_;  // genotypes of a resumed run, until all are in
  bool expect_es_state_ = false;                // an ES run resuming: its optimizer state comes last
  bool begun_ = false;
};

}  // namespace seedline::distributed
