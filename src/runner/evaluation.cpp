#include "runner/evaluation.hpp"

#include "genome/policy_network.hpp"
#include "util/error.hpp"

namespace seedline::runner {

std::vector<GenotypePtr> build_population(const genome::Genome& genome, std::span<const evolve::Slot> slots,
                                          std::span<const GenotypePtr> parents, const ParallelFor& parallel,
                                          const std::function<bool()>& interrupted) {
  std::vector<GenotypePtr> population(slots.size());
  parallel(slots.size(), [&](size_t i, int) {
    if (interrupted()) throw RunInterrupted{};
    const auto& slot = slots[i];
    switch (slot.kind) {
      case evolve::Slot::Kind::kRoot:
        population[i] = std::make_shared<const std::vector<float>>(genome.init(slot.seed));
        break;
      case evolve::Slot::Kind::kElite:
        population[i] = parents[static_cast<size_t>(slot.parent)];
        break;
      case evolve::Slot::Kind::kChild: {
        auto child = std::make_shared<std::vector<float>>(*parents[static_cast<size_t>(slot.parent)]);
        genome.mutate(*child, slot.seed);
        population[i] = std::move(child);
        break;
      }
    }
  });
  return population;
}

evolve::StageEvaluator make_stage_evaluator(const genome::Genome& genome, const tasks::Task& task,
                                            const evolve::GaSettings& ga, uint64_t run_seed, int generation,
                                            std::span<const GenotypePtr> population, const ParallelFor& parallel,
                                            const std::function<bool()>& interrupted) {
  return [&genome, &task, &ga, run_seed, generation, population, parallel, interrupted](
             std::span<const int> members, int stage, std::span<evolve::Evaluation> out) {
    const auto member = [&](size_t k) { return static_cast<size_t>(members[k]); };
    if (task.scores_phenotype()) {
      parallel(members.size(), [&](size_t k, int) {
        if (interrupted()) throw RunInterrupted{};
        evolve::Evaluation& e = out[member(k)];
        e.reward_sum += task.score(genome.develop(*population[member(k)]));
        e.episodes += 1;
      });
      return;
    }
    // Networks first, then one work item per (member, episode): episode lengths vary from a
    // few steps to max_steps, and finer items keep every thread busy to the end of a stage.
    std::vector<std::unique_ptr<const genome::PolicyNetwork>> nets(members.size());
    parallel(members.size(), [&](size_t k, int) {
      if (interrupted()) throw RunInterrupted{};
      nets[k] = genome::build_policy_network(genome.architecture(), genome.develop(*population[member(k)]));
    });
    const auto episodes = static_cast<size_t>(ga.stages.at(static_cast<size_t>(stage)).evaluations);
    std::vector<tasks::EpisodeResult> results(members.size() * episodes);
    parallel(results.size(), [&](size_t i, int) {
      if (interrupted()) throw RunInterrupted{};
      const auto policy = nets[i / episodes]->make_policy();
      const auto episode = static_cast<int>(i % episodes);
      results[i] = task.run_episode(*policy, evolve::episode_seed(run_seed, generation, stage, episode));
    });
    // Summed in episode order, so the bits do not depend on which thread ran what.
    for (size_t k = 0; k < members.size(); ++k) {
      evolve::Evaluation& e = out[member(k)];
      for (size_t j = 0; j < episodes; ++j) {
        e.reward_sum += results[k * episodes + j].reward;
        e.episodes += 1;
        e.steps += results[k * episodes + j].steps;
      }
    }
  };
}

}  // namespace seedline::runner
