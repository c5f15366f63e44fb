// LocalExecutor: the work interface (work.hpp) on this process's ThreadPool, streaming the
// population so that memory does not grow with it.
//
// It holds the parents' genotypes (shared with the coordinator through shared_parents());
// for an ES run the one parent is the center, and the executor also holds its optimizer
// state (shared_es_state()) and applies the update at advance_center, split over the pool.
// A member's genotype is built when a worker takes the member: the parent's genotype plus
// the member's mutation, into that worker's scratch buffer (an elite reads its parent's
// genotype in place); it is developed into a second scratch buffer, scored or turned into a
// network, and dropped. A later stage rebuilds its survivors the same way, which costs one
// mutation each. A network task (the language model) scores each member's transformer
// straight from its genotype, one member per worker. For environment tasks the networks of a chunk of members are built first
// and then the chunk's episodes are run as separate work items (episode lengths vary
// widely; finer items keep every thread busy); a chunk holds as many networks as fit in
// Options::network_budget_bytes (at least one per thread), so small networks are all built
// at once as before, and large ones a few at a time.
//
// Memory of a run: 2 x parents' genotypes (old and new during a generation boundary; elites
// are shared), per worker one genotype and one phenotype buffer, and for environment tasks the networks in flight:
// memory_bytes() computes the figure submission checks.
//
// Thread-safety: as every Executor (one driving thread); the pool must not be used by anyone
// else during a call. Results are the same bits on any pool size.
// Failure: as every Executor: errors name the item; RunInterrupted when `interrupted` says
// so (polled before each member and each episode, and inside a scored item through the
// thread's stop check, util/stop_check.hpp: every kStopPollSteps steps of an episode).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "evolve/experiment.hpp"
#include "runner/thread_pool.hpp"
#include "runner/work.hpp"

namespace seedline::runner {

class LocalExecutor final : public Executor {
 public:
  struct Options {
    // The phenotype bytes of the networks an environment task builds at once (at least one
    // network per thread). Default: 256 MiB.
    size_t network_budget_bytes = size_t{256} << 20;
  };

  // `interrupted` is polled before each member and each episode (may be empty).
  LocalExecutor(ThreadPool& pool, std::function<bool()> interrupted);
  LocalExecutor(ThreadPool& pool, std::function<bool()> interrupted, Options options);
  ~LocalExecutor() override;

  void begin_run(const RunSetup& setup, std::span<const GenotypePtr> parents) override;
  void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) override;
  void advance_parents(std::span<const evolve::Slot> sources) override;
  void advance_center(std::span<const evolve::Slot> members, std::span<const double> fitness) override;
  std::vector<GenotypePtr> shared_parents() const override { return parents_; }
  std::shared_ptr<const es::OptimizerState> shared_es_state() const override;
  void end_run() override;

  // The bytes a run of `ga` with `genome` needs on `threads` workers (see the header).
  static double memory_bytes(const genome::Genome& genome, const evolve::GaSettings& ga, bool scores_phenotype,
                             int threads, const Options& options);

 private:
  struct Member;  // the items of one member in one evaluate call
  void check_interrupt() const;
  std::span<const float> genotype_of(const evolve::Slot& source, int worker);
  std::span<const float> phenotype_of(const evolve::Slot& source, int worker);
  void score_members(const std::vector<Member>& members, std::span<const WorkItem> items,
                     std::span<ItemResult> results);
  void run_episodes(const std::vector<Member>& members, std::span<const WorkItem> items,
                    std::span<ItemResult> results);
  // Network tasks: each member's transformer, read from its genotype (factors applied as
  // such), scored once per item on one worker.
  void score_networks(const std::vector<Member>& members, std::span<const WorkItem> items,
                      std::span<ItemResult> results);

  ThreadPool& pool_;
  std::function<bool()> interrupted_;
  std::function<void()> stop_check_;  // check_interrupt(), installed on a thread while it scores an item
  Options options_;
  std::unique_ptr<genome::Genome> own_genome_;  // when the setup brought none
  std::unique_ptr<tasks::Task> own_task_;
  const genome::Genome* genome_ = nullptr;
  const tasks::Task* task_ = nullptr;
  std::vector<GenotypePtr> parents_;
  std::unique_ptr<EsWork> es_;  // ES runs: the perturbation and the center's optimizer state
  // Per worker: a member's genotype (a root's or a child's) and its developed phenotype.
  std::vector<std::vector<float>> genotype_scratch_, phenotype_scratch_;
};

}  // namespace seedline::runner
