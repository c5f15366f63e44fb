// The `algorithm` of a condition: the truncation GA (the default) or an evolution strategy.
//
// {"type": "ga"} keeps everything the GA settings say. {"type": "es", ...} is OpenAI-ES
// (Salimans et al.) with optional EGGROLL low-rank perturbations; its fields, defaults and
// formulas are in docs/es.md:
//   {"type": "es", "sigma": 0.02, "learning_rate": 0.01, "antithetic": true,
//    "shaping": "centered_ranks" | "zscore", "optimizer": "sgd" | "adam", "weight_decay": 0,
//    "perturbation": {"type": "full"} | {"type": "lowrank", "rank": r}}
// An ES condition takes its population size (members per generation; pairs of members when
// antithetic, so it must be even), generations and snapshot_every from `ga`; it evaluates
// every member with the same episodes, so `ga.stages` must be a single stage.
//
// A GA condition's stored config carries no `algorithm` key at all, so configs stored before
// this field existed and new GA configs are the same bytes.
//
// Pure functions and plain values: safe from any thread. Failure: seedline::Error
// kInvalidArgument naming the field, e.g. "conditions[1].algorithm.sigma: must be a number
// from 1e-12 to 100 (got 0)".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace seedline::evolve {

struct GaSettings;

struct EsSettings {
  enum class Shaping { kCenteredRanks, kZscore };
  enum class Optimizer { kSgd, kAdam };
  enum class Perturbation { kFull, kLowRank };

  double sigma = 0.02;          // noise scale: member = center + sign * sigma * eps
  double learning_rate = 0.01;  // optimizer step size
  bool antithetic = true;       // members 2p and 2p+1 share eps with signs + and -
  Shaping shaping = Shaping::kCenteredRanks;
  Optimizer optimizer = Optimizer::kSgd;
  double weight_decay = 0;      // L2 coefficient: the ascent direction is g - weight_decay * center
  Perturbation perturbation = Perturbation::kFull;
  int rank = 0;                 // kLowRank: r >= 1

  bool operator==(const EsSettings&) const = default;
};

struct AlgorithmSettings {
  enum class Type { kGa, kEs };
  Type type = Type::kGa;
  EsSettings es;  // meaningful when type == kEs

  bool is_es() const { return type == Type::kEs; }
  // {"type": "ga"} or the full ES object with every field spelled out.
  nlohmann::json to_json() const;
  bool operator==(const AlgorithmSettings&) const = default;
};

// Parses an `algorithm` object found at `path`; unknown fields and values are errors naming
// them.
AlgorithmSettings parse_algorithm(const nlohmann::json& value, const std::string& path);

// Cross-checks an ES algorithm against the GA settings it shares (even population when
// antithetic, a single stage). `path` names the condition, e.g. "conditions[2]".
void validate_algorithm(const AlgorithmSettings& algorithm, const GaSettings& ga, const std::string& path);

std::string_view shaping_name(EsSettings::Shaping shaping);
std::string_view optimizer_name(EsSettings::Optimizer optimizer);

}  // namespace seedline::evolve
