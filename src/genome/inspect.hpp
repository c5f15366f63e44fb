// A dry run of an experiment's genomes: per condition, every architecture tensor with its
// shape, representation and the genotype values it costs, and the totals (`seedline inspect`).
//
// Nothing is read but the experiment itself: a task's data file is not opened (the genome
// does not depend on it). Pure functions: safe from any thread. Failure: whatever building a
// condition's genome throws (kInvalidArgument naming the field).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evolve/experiment.hpp"

namespace seedline::genome {

struct TensorReport {
  std::string name;
  std::vector<int64_t> shape;
  std::string representation;  // "direct" | "factorized" | "lora" | "frozen" (lora's bias) | "fixed" (layer norm)
  int64_t rank = 0;            // factorized only
  int64_t genotype_values = 0; // evolved values this tensor costs (A and B for a factorized one)
};

struct ConditionReport {
  std::string name;
  int64_t genotype_parameters = 0;   // evolved: the genotype's length
  int64_t fixed_parameters = 0;      // layer-norm scales and biases (fixed at 1 and 0), lora's frozen base values
  int64_t phenotype_parameters = 0;  // every tensor developed
  int population = 0;
  // One generation in memory: population x (genotype + phenotype) float32 values (the figure
  // submission limits, docs/runner.md).
  int64_t bytes_per_generation = 0;
  std::vector<TensorReport> tensors;
};

std::vector<ConditionReport> inspect_experiment(const evolve::ExperimentSpec& spec);

// {"conditions": [{"name", "genotype_parameters", "fixed_parameters", "phenotype_parameters",
//   "population", "bytes_per_generation", "tensors": [{"name", "shape", "representation",
//   "rank" (factorized only), "genotype_values"}]}]}
nlohmann::json inspect_json(const std::vector<ConditionReport>& reports);

}  // namespace seedline::genome
