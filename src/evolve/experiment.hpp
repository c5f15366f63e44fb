// Experiment files: parsing, defaults, validation and per-condition resolution.
//
// An experiment file is JSON (comments allowed) as docs/experiments.md shows. Every field has a default
// (docs/experiments.md lists them); an unknown field is an error naming it. A condition may
// override `network`, `representation`, `algorithm` (evolve/algorithm.hpp) and any `ga` field; resolve() merges them into
// one ConditionConfig per condition, stored with the condition so a run never depends on the
// file again. Errors are seedline::Error kInvalidArgument with the field path, e.g.
// "ga.stages[1].keep (40) exceeds the previous stage's keep (32)". Pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evolve/algorithm.hpp"

namespace seedline::evolve {

struct Stage {
  int evaluations = 1;  // episodes added for each individual that reaches this stage
  int keep = 8;         // how many survive the stage, best first
};

// The Deep GA's elite choice (Such et al.): the best `candidates` parents of a generation
// play `episodes` more episodes and the elites are the best of them by their mean over all
// their episodes of the generation.
struct EliteSelection {
  int candidates = 10;
  int episodes = 30;
};

struct GaSettings {
  int population = 64;
  int truncation = 8;         // parents per generation = the last stage's keep
  int elites = 1;             // best parents carried unchanged into the next generation
  int generations = 30;
  double mutation_rate = 0.01;     // relative mutation (docs/genome.md); unused when sigma is set
  std::optional<double> sigma;     // absolute mutation std of every evolvable value (Deep GA's "mutation power")
  std::optional<double> bias_std;  // noise std for biases; default: sigma, else the genome's documented default
  std::optional<EliteSelection> elite_selection;  // unset: the elites are the best parents of the last stage
  std::vector<Stage> stages;  // non-empty after resolution
  int snapshot_every = 10;    // store parents' genotypes every N generations (0: only the final best)
};

// "init": {"from": PATH}: the root genotype's tensors come from a safetensors file instead of
// the seeded init (docs/genome.md, "Pretrained starting points"). Submission resolves the path
// to an absolute one and records the file's size and xxh64; every later use of the run
// refuses a file whose size or hash differ.
struct InitSpec {
  std::string from;                  // the file; absolute once submitted
  std::optional<int64_t> bytes;      // recorded at submission
  std::optional<std::string> xxh64;  // recorded at submission: 16 lowercase hex digits (seed 0)
  nlohmann::json to_json() const;
};

// Reads {"from": PATH} (and, in a stored config, "bytes" and "xxh64"); errors name `path`.
InitSpec parse_init(const nlohmann::json& j, const std::string& path);

struct ConditionConfig {
  std::string name;
  nlohmann::json task;            // the task spec (tasks::make_task)
  nlohmann::json network;         // layer list (genome::parse_architecture)
  nlohmann::json representation;  // {"type": "direct"} | {"type": "factorized", "rank": k}
  GaSettings ga;
  AlgorithmSettings algorithm;    // the GA unless the condition says {"type": "es", ...}
  std::optional<InitSpec> init;   // unset: roots are init(seed)

  // A GA condition's JSON has no "algorithm" key (and no "init" key without init.from) (configs stored before it existed are the
  // same bytes); an ES condition's has the full ES object.
  nlohmann::json to_json() const;
  static ConditionConfig from_json(const nlohmann::json& j);  // throws kCorruption on a bad stored config
};

struct ExperimentSpec {
  std::string name;
  uint64_t seed = 0;
  int trials = 1;
  std::vector<ConditionConfig> conditions;  // resolved, in file order
  nlohmann::json source;                    // the file as parsed (canonical JSON for storage)
};

// Parses and validates an experiment file's text. `origin` (usually the file path) prefixes
// messages about malformed JSON; field errors name the field.
ExperimentSpec parse_experiment(const std::string& text, const std::string& origin);

// Validates one GA settings object (also used for stored configs).
void validate_ga(const GaSettings& ga, const std::string& path);

// The run seed of trial `trial` of condition `condition_index`, derived from the master seed.
uint64_t run_seed(uint64_t master_seed, int condition_index, int trial);

}  // namespace seedline::evolve
