#include "genome/inspect.hpp"

#include "genome/run_genome.hpp"
#include "kernels/version.hpp"
#include "noise/noise.hpp"

namespace seedline::genome {

std::vector<ConditionReport> inspect_experiment(const evolve::ExperimentSpec& spec) {
  std::vector<ConditionReport> reports;
  for (const auto& c : spec.conditions) {
    // Counting needs no base file (init.from): inspect reads nothing.
    const Genome genome = genome_for_condition(c, noise::kNewestVersion, kernels::kNewestVersion, BaseLoad::kSkip);
    const Architecture& arch = genome.architecture();
    ConditionReport r;
    r.name = c.name;
    r.population = c.ga.population;
    std::vector<TensorReport> tensors(arch.tensors.size());
    for (size_t i = 0; i < arch.tensors.size(); ++i) {
      const TensorSpec& t = arch.tensors[i];
      tensors[i].name = t.name;
      tensors[i].shape = t.shape;
      tensors[i].representation = t.evolvable ? "direct" : "fixed";
      if (!t.evolvable) r.fixed_parameters += t.size();
    }
    for (const Block& b : genome.blocks()) {
      TensorReport& t = tensors[static_cast<size_t>(b.tensor)];
      t.genotype_values += static_cast<int64_t>(b.size);
      if (b.name.size() > 2 && b.name.compare(b.name.size() - 2, 2, ".A") == 0) {
        const bool lora = arch.representation_of(b.tensor, genome.representation()).type == Representation::Type::kLora;
        t.representation = lora ? "lora" : "factorized";
        t.rank = b.shape[1];
      }
    }
    // Under lora a weight's bias has no block: it is frozen at its base value.
    // Frozen base values (a lora weight's W, its bias) are fixed parameters too: never evolved.
    for (size_t i = 0; i < arch.tensors.size(); ++i) {
      if (arch.tensors[i].evolvable && tensors[i].genotype_values == 0) tensors[i].representation = "frozen";
      if (tensors[i].representation == "frozen" || tensors[i].representation == "lora") {
        r.fixed_parameters += arch.tensors[i].size();
      }
    }
    r.tensors = std::move(tensors);
    r.genotype_parameters = static_cast<int64_t>(genome.genotype_size());
    r.phenotype_parameters = static_cast<int64_t>(genome.phenotype_size());
    r.bytes_per_generation = static_cast<int64_t>(r.population) * (r.genotype_parameters + r.phenotype_parameters) *
                             static_cast<int64_t>(sizeof(float));
    reports.push_back(std::move(r));
  }
  return reports;
}

nlohmann::json inspect_json(const std::vector<ConditionReport>& reports) {
  nlohmann::json conditions = nlohmann::json::array();
  for (const auto& r : reports) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& t : r.tensors) {
      nlohmann::json j = {{"name", t.name}, {"shape", t.shape}, {"representation", t.representation}};
      if (t.representation == "factorized" || t.representation == "lora") j["rank"] = t.rank;
      j["genotype_values"] = t.genotype_values;
      tensors.push_back(std::move(j));
    }
    conditions.push_back({{"name", r.name},
                          {"genotype_parameters", r.genotype_parameters},
                          {"fixed_parameters", r.fixed_parameters},
                          {"phenotype_parameters", r.phenotype_parameters},
                          {"population", r.population},
                          {"bytes_per_generation", r.bytes_per_generation},
                          {"tensors", std::move(tensors)}});
  }
  return {{"conditions", std::move(conditions)}};
}

}  // namespace seedline::genome
