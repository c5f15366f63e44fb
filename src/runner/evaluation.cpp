#include "runner/evaluation.hpp"

#include "tasks/mlp_policy.hpp"
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
    const int episodes = ga.stages.at(static_cast<size_t>(stage)).evaluations;
    parallel(members.size(), [&](size_t k, int) {
      if (interrupted()) throw RunInterrupted{};
      const int m = members[k];
      evolve::Evaluation& e = out[static_cast<size_t>(m)];
      const auto phenotype = genome.develop(*population[static_cast<size_t>(m)]);
      if (task.scores_phenotype()) {
        e.reward_sum += task.score(phenotype);
        e.episodes += 1;
        return;
      }
      const nn::Mlp mlp = genome::build_mlp(genome.architecture(), phenotype);
      tasks::MlpPolicy policy(mlp);
      for (int episode = 0; episode < episodes; ++episode) {
        if (episode > 0 && interrupted()) throw RunInterrupted{};
        const auto r = task.run_episode(policy, evolve::episode_seed(run_seed, generation, stage, episode));
        e.reward_sum += r.reward;
        e.episodes += 1;
        e.steps += r.steps;
      }
    });
  };
}

}  // namespace seedline::runner
