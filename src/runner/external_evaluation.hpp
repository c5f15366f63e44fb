// Stage evaluation through external evaluator processes (the `external` task).
//
// make_evaluator_pool builds an evaluator::EvaluatorPool for a run from its task spec, genome
// and network: the HELLO frame carries the phenotype's tensor layout (names and shapes from
// the architecture), the network (the condition's layers, each with its "tensors" names and
// resolved sizes and activation) and the task spec. make_external_stage_evaluator then turns
// every (member, episode) of a stage into one work item with the generation's shared
// episode seed (evolve::episode_seed, as the built-in environment tasks use), develops the
// members' phenotypes on the thread pool and sends the items to the evaluator pool. Rewards
// and steps are summed per member in episode order, so the results do not depend on which
// worker answered first.
//
// Thread-safety: the pool is driven from the calling (coordinating) thread only; the
// phenotypes are developed on the thread pool. `tick` heartbeats and throws RunInterrupted
// when a stop was requested. Failure: evaluator faults throw seedline::Error
// (kFailedPrecondition) naming the individual through `describe` (see evaluator/pool.hpp).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "evaluator/pool.hpp"
#include "evolve/ga.hpp"
#include "genome/genome.hpp"
#include "runner/evaluation.hpp"
#include "tasks/external_task.hpp"

namespace seedline::runner {

std::unique_ptr<evaluator::EvaluatorPool> make_evaluator_pool(const tasks::ExternalTask& task,
                                                              const genome::Genome& genome,
                                                              const nlohmann::json& network);

// The condition's network as the evaluator sees it: every layer object of the file with
// "type", "activation", its tensors' names under "tensors", and "in"/"out" filled in.
nlohmann::json describe_network(const genome::Architecture& architecture, const nlohmann::json& network);

evolve::StageEvaluator make_external_stage_evaluator(const genome::Genome& genome, evaluator::EvaluatorPool& pool,
                                                     const evolve::GaSettings& ga, uint64_t run_seed, int generation,
                                                     std::span<const GenotypePtr> population,
                                                     std::function<std::string(int member)> describe,
                                                     const ParallelFor& parallel,
                                                     const std::function<bool()>& interrupted,
                                                     std::function<void()> tick);

}  // namespace seedline::runner
