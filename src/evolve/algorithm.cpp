#include "evolve/algorithm.hpp"

#include "evolve/experiment.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"
#include "util/suggest.hpp"

namespace seedline::evolve {
namespace {

using nlohmann::json;

// Largest low-rank perturbation rank: far above any useful value (EGGROLL uses 1..16), low
// enough that r * (m + n) noise values per member never overflow anything.
constexpr int kMaxRank = 4096;

template <typename Enum, size_t N>
Enum read_choice(FieldReader& r, const std::string& key, Enum fallback,
                 const std::pair<const char*, Enum> (&choices)[N]) {
  if (!r.has(key)) {
    r.raw(key);
    return fallback;
  }
  const std::string value = r.string(key);
  std::string expected;
  std::vector<std::string> names;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    expected += (expected.empty() ? "" : " or ") + std::string("\"") + name + "\"";
    names.emplace_back(name);
  }
  invalid_argument(r.field(key) + ": unknown value \"" + value + "\" (expected " + expected + ")" +
                   did_you_mean(value, names));
}

void read_perturbation(const json& value, const std::string& path, EsSettings& es) {
  FieldReader r(value, path);
  const std::string type = r.string("type", std::string("full"));
  if (type == "full") {
    es.perturbation = EsSettings::Perturbation::kFull;
    es.rank = 0;
  } else if (type == "lowrank") {
    es.perturbation = EsSettings::Perturbation::kLowRank;
    es.rank = static_cast<int>(r.integer("rank", std::nullopt, 1, kMaxRank));
  } else {
    invalid_argument(r.field("type") + ": unknown perturbation \"" + type + "\" (expected \"full\" or \"lowrank\")" +
                     did_you_mean(type, {"full", "lowrank"}));
  }
  r.finish();
}

}  // namespace

std::string_view shaping_name(EsSettings::Shaping shaping) {
  return shaping == EsSettings::Shaping::kZscore ? "zscore" : "centered_ranks";
}

std::string_view optimizer_name(EsSettings::Optimizer optimizer) {
  return optimizer == EsSettings::Optimizer::kAdam ? "adam" : "sgd";
}

AlgorithmSettings parse_algorithm(const json& value, const std::string& path) {
  FieldReader r(value, path);
  AlgorithmSettings a;
  const std::string type = r.string("type", std::string("ga"));
  if (type == "ga") {
    r.finish();
    return a;
  }
  if (type != "es") {
    invalid_argument(r.field("type") + ": unknown algorithm \"" + type + "\" (expected \"ga\" or \"es\")" +
                     did_you_mean(type, {"ga", "es"}));
  }
  a.type = AlgorithmSettings::Type::kEs;
  EsSettings& es = a.es;
  es.sigma = r.number("sigma", es.sigma, 1e-12, 100.0);
  es.learning_rate = r.number("learning_rate", es.learning_rate, 1e-12, 100.0);
  es.antithetic = r.boolean("antithetic", es.antithetic);
  es.shaping = read_choice(r, "shaping", es.shaping,
                           {std::pair{"centered_ranks", EsSettings::Shaping::kCenteredRanks},
                            std::pair{"zscore", EsSettings::Shaping::kZscore}});
  es.optimizer = read_choice(r, "optimizer", es.optimizer,
                             {std::pair{"sgd", EsSettings::Optimizer::kSgd}, std::pair{"adam", EsSettings::Optimizer::kAdam}});
  es.weight_decay = r.number("weight_decay", es.weight_decay, 0.0, 100.0);
  if (auto p = r.raw("perturbation")) read_perturbation(*p, r.field("perturbation"), es);
  r.finish();
  return a;
}

void validate_algorithm(const AlgorithmSettings& algorithm, const GaSettings& ga, const std::string& path) {
  if (!algorithm.is_es()) return;
  const std::string prefix = path.empty() ? "" : path + ".";
  if (algorithm.es.antithetic && ga.population % 2 != 0) {
    invalid_argument(prefix + "ga.population (" + std::to_string(ga.population) +
                     ") must be even for antithetic ES: members come in pairs sharing one perturbation");
  }
  if (ga.stages.size() != 1) {
    invalid_argument(prefix + "ga.stages: an ES condition evaluates every member with the same episodes; give one "
                     "stage (got " + std::to_string(ga.stages.size()) + ")");
  }
}

json AlgorithmSettings::to_json() const {
  if (!is_es()) return {{"type", "ga"}};
  json perturbation = es.perturbation == EsSettings::Perturbation::kFull
                          ? json{{"type", "full"}}
                          : json{{"type", "lowrank"}, {"rank", es.rank}};
  return {{"type", "es"},
          {"sigma", es.sigma},
          {"learning_rate", es.learning_rate},
          {"antithetic", es.antithetic},
          {"shaping", shaping_name(es.shaping)},
          {"optimizer", optimizer_name(es.optimizer)},
          {"weight_decay", es.weight_decay},
          {"perturbation", perturbation}};
}

}  // namespace seedline::evolve
