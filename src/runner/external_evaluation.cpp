#include "runner/external_evaluation.hpp"

#include "nn/activation.hpp"

namespace seedline::runner {

nlohmann::json describe_network(const genome::Architecture& architecture, const nlohmann::json& network) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const auto& spec = architecture.layers[i];
    nlohmann::json layer = network.is_array() && i < network.size() && network[i].is_object() ? network[i]
                                                                                               : nlohmann::json::object();
    layer["type"] = spec.type;
    layer["activation"] = std::string(nn::activation_name(spec.activation));
    nlohmann::json names = nlohmann::json::array();
    for (int t : spec.tensors) names.push_back(architecture.tensors[static_cast<size_t>(t)].name);
    layer["tensors"] = names;
    if (!spec.tensors.empty()) {
      const auto& first = architecture.tensors[static_cast<size_t>(spec.tensors.front())];
      if ((spec.type == "dense" || spec.type == "conv") && first.shape.size() >= 2) {
        layer["out"] = first.shape[0];
        layer["in"] = first.shape[1];
      }
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

std::unique_ptr<evaluator::EvaluatorPool> make_evaluator_pool(const tasks::ExternalTask& task,
                                                              const genome::Genome& genome,
                                                              const nlohmann::json& network) {
  const auto& spec = task.spec();
  evaluator::PoolOptions options;
  options.command = spec.command;
  options.workers = spec.workers;
  options.timeout = spec.timeout;
  options.startup_timeout = spec.startup_timeout;
  options.retries = spec.retries;
  options.weights_bytes = genome.phenotype_size() * sizeof(float);
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors;
  for (const auto& t : genome.architecture().tensors) tensors.emplace_back(t.name, t.shape);
  options.hello = evaluator::make_hello(tensors, describe_network(genome.architecture(), network),
                                        task.resolved_spec());
  return std::make_unique<evaluator::EvaluatorPool>(std::move(options));
}

evolve::StageEvaluator make_external_stage_evaluator(const genome::Genome& genome, evaluator::EvaluatorPool& pool,
                                                     const evolve::GaSettings& ga, uint64_t run_seed, int generation,
                                                     std::span<const GenotypePtr> population,
                                                     std::function<std::string(int member)> describe,
                                                     const ParallelFor& parallel,
                                                     const std::function<bool()>& interrupted,
                                                     std::function<void()> tick) {
  return [&genome, &pool, &ga, run_seed, generation, population, describe = std::move(describe), parallel,
          interrupted, tick = std::move(tick)](std::span<const int> members, int stage,
                                               std::span<evolve::Evaluation> out) {
    // Phenotypes first (the costly part for factorized genomes), on every thread.
    std::vector<std::vector<float>> phenotypes(members.size());
    std::vector<int> slot_of(population.size(), -1);
    for (size_t k = 0; k < members.size(); ++k) slot_of[static_cast<size_t>(members[k])] = static_cast<int>(k);
    parallel(members.size(), [&](size_t k, int) {
      if (interrupted()) throw RunInterrupted{};
      phenotypes[k] = genome.develop(*population[static_cast<size_t>(members[k])]);
    });
    const auto episodes = ga.stages.at(static_cast<size_t>(stage)).evaluations;
    std::vector<evaluator::Item> items;
    items.reserve(members.size() * static_cast<size_t>(episodes));
    for (const int m : members) {
      for (int j = 0; j < episodes; ++j) {
        items.push_back({m, j, evolve::episode_seed(run_seed, generation, stage, j)});
      }
    }
    const auto weights = [&](int member) {
      return std::span<const float>(phenotypes[static_cast<size_t>(slot_of[static_cast<size_t>(member)])]);
    };
    const auto name_item = [&](size_t i) {
      return describe(items[i].member) + ", stage " + std::to_string(stage) + ", episode " +
             std::to_string(items[i].episode) + " (seed " + std::to_string(items[i].episode_seed) + ")";
    };
    const auto results = pool.evaluate(items, weights, name_item, tick);
    // Summed in item order (member-major, episodes in order): the same bits whoever answered first.
    for (size_t i = 0; i < items.size(); ++i) {
      evolve::Evaluation& e = out[static_cast<size_t>(items[i].member)];
      e.reward_sum += results[i].reward;
      e.episodes += 1;
      e.steps += results[i].steps;
    }
  };
}

}  // namespace seedline::runner
