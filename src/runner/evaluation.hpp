// One generation's population work, spread over a ThreadPool: building the genotypes from
// the plan (roots, elites, children) and evaluating stage by stage.
//
// Every result depends only on (run seed, generation, slot, stage, episode), never on which
// thread did the work, so a generation computes the same on 1 or N threads.
// Environment tasks run each member's phenotype as a genome::PolicyNetwork (an nn::Mlp, or an
// nn::ConvNet for pixel networks) with the generation's shared episode seeds
// (evolve::episode_seed); function tasks score the
// phenotype once per stage (they are deterministic, so repeating the call adds nothing).
// Episodes are the work items (one per member and episode), summed per member in episode
// order, so the numbers are the same bits whatever thread ran which episode.
//
// Thread-safety: the functions block until the pool is done; Genome and Task are shared
// read-only. `interrupted` is polled before each work item: when it returns true the work stops
// and RunInterrupted is thrown. Failure: whatever the genome or task throws is rethrown in the
// caller (the first error wins).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "evolve/ga.hpp"
#include "genome/genome.hpp"
#include "runner/thread_pool.hpp"
#include "tasks/task.hpp"

namespace seedline::runner {

using GenotypePtr = std::shared_ptr<const std::vector<float>>;

// Thrown when a stop was requested or the run was lost while work was in flight.
struct RunInterrupted {};

// Runs `fn(i, worker)` for i in [0, n) on the pool. The default just calls pool.parallel_for;
// the run driver swaps in one that heartbeats while the pool works.
using ParallelFor = std::function<void(size_t n, const std::function<void(size_t, int)>& fn)>;

// The genotypes of a planned generation: roots init(seed); elites share their parent's
// genotype (same object); children are a copy of the parent plus mutate(seed).
std::vector<GenotypePtr> build_population(const genome::Genome& genome, std::span<const evolve::Slot> slots,
                                          std::span<const GenotypePtr> parents, const ParallelFor& parallel,
                                          const std::function<bool()>& interrupted);

// A StageEvaluator for evolve::evaluate_and_select over `population`.
evolve::StageEvaluator make_stage_evaluator(const genome::Genome& genome, const tasks::Task& task,
                                            const evolve::GaSettings& ga, uint64_t run_seed, int generation,
                                            std::span<const GenotypePtr> population, const ParallelFor& parallel,
                                            const std::function<bool()>& interrupted);

}  // namespace seedline::runner
