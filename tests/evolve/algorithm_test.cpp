// The `algorithm` field (docs/es.md): GA by default with stored configs unchanged, ES fields
// with defaults and round trips, and errors that name the field.
#include "evolve/algorithm.hpp"

#include <gtest/gtest.h>

#include "evolve/experiment.hpp"
#include "runner/submit.hpp"
#include "util/error.hpp"

namespace seedline::evolve {
namespace {

TEST(Algorithm, GaIsTheDefaultAndLeavesStoredConfigsAlone) {
  for (const char* text : {R"({})", R"({"algorithm": {"type": "ga"}})", R"({"conditions": [{"algorithm": {}}]})"}) {
    const auto spec = parse_experiment(text, "x.json");
    const auto& c = spec.conditions[0];
    EXPECT_FALSE(c.algorithm.is_es()) << text;
    // No key at all: a GA config is the same bytes as before the field existed.
    EXPECT_FALSE(c.to_json().contains("algorithm")) << text;
  }
}

TEST(Algorithm, EsFieldsDefaultsAndRoundTrip) {
  const auto spec = parse_experiment(
      R"({"ga": {"population": 10},
          "algorithm": {"type": "es", "sigma": 0.1},
          "conditions": [{"name": "es"},
                         {"name": "eggroll", "algorithm": {"type": "es", "learning_rate": 0.5, "antithetic": false,
                          "shaping": "zscore", "optimizer": "adam", "weight_decay": 0.01,
                          "perturbation": {"type": "lowrank", "rank": 4}}},
                         {"name": "ga", "algorithm": {"type": "ga"}}]})",
      "x.json");
  const auto& es = spec.conditions[0].algorithm;
  ASSERT_TRUE(es.is_es());
  EXPECT_EQ(es.es.sigma, 0.1);
  EXPECT_EQ(es.es.learning_rate, 0.01);
  EXPECT_TRUE(es.es.antithetic);
  EXPECT_EQ(es.es.shaping, EsSettings::Shaping::kCenteredRanks);
  EXPECT_EQ(es.es.optimizer, EsSettings::Optimizer::kSgd);
  EXPECT_EQ(es.es.perturbation, EsSettings::Perturbation::kFull);
  const auto& egg = spec.conditions[1].algorithm.es;
  EXPECT_EQ(egg.sigma, 0.02);  // the condition's object replaces the top-level one as a whole
  EXPECT_EQ(egg.learning_rate, 0.5);
  EXPECT_FALSE(egg.antithetic);
  EXPECT_EQ(egg.shaping, EsSettings::Shaping::kZscore);
  EXPECT_EQ(egg.optimizer, EsSettings::Optimizer::kAdam);
  EXPECT_EQ(egg.weight_decay, 0.01);
  EXPECT_EQ(egg.perturbation, EsSettings::Perturbation::kLowRank);
  EXPECT_EQ(egg.rank, 4);
  EXPECT_FALSE(spec.conditions[2].algorithm.is_es());
  for (const auto& c : spec.conditions) {
    const auto back = ConditionConfig::from_json(c.to_json());
    EXPECT_EQ(back.algorithm, c.algorithm) << c.name;
    EXPECT_EQ(back.to_json(), c.to_json()) << c.name;
  }
  EXPECT_EQ(spec.conditions[1].to_json()["algorithm"]["perturbation"],
            nlohmann::json::parse(R"({"type": "lowrank", "rank": 4})"));
}

TEST(Algorithm, StoredEsConfigWithBadFieldIsCorruption) {
  auto j = parse_experiment(R"({"ga": {"population": 10}, "algorithm": {"type": "es"}})", "x.json").conditions[0].to_json();
  j["algorithm"]["shaping"] = "bogus";
  try {
    ConditionConfig::from_json(j);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
}

// Submission checks an ES condition like a GA one and keeps the full algorithm object, every
// default spelled out, in the config the runner reads back.
TEST(Algorithm, SubmissionAcceptsEsAndStoresEveryField) {
  auto spec = parse_experiment(R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 4, "out": 2}],
                                   "ga": {"population": 10}, "algorithm": {"type": "es"}})",
                               "es.json");
  runner::check_experiment(spec, "es.json");
  const auto stored = spec.conditions[0].to_json();
  EXPECT_EQ(stored["algorithm"]["type"], "es");
  EXPECT_EQ(stored["algorithm"]["shaping"], "centered_ranks");
  EXPECT_EQ(stored["algorithm"]["perturbation"]["type"], "full");
  EXPECT_TRUE(ConditionConfig::from_json(stored).algorithm.is_es());
}

struct BadCase {
  const char* name;
  const char* text;
  const char* message;
};

class AlgorithmErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(AlgorithmErrors, NameTheField) {
  try {
    parse_experiment(GetParam().text, "bad.json");
    FAIL() << "accepted: " << GetParam().text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AlgorithmErrors,
    ::testing::Values(
        BadCase{"UnknownType", R"({"algorithm": {"type": "cma"}})", "algorithm.type: unknown algorithm \"cma\""},
        BadCase{"GaTakesNoEsFields", R"({"algorithm": {"type": "ga", "sigma": 1}})", "algorithm.sigma: unknown field"},
        BadCase{"UnknownEsField", R"({"algorithm": {"type": "es", "sigmaa": 1}})", "algorithm.sigmaa: unknown field"},
        BadCase{"SigmaZero", R"({"algorithm": {"type": "es", "sigma": 0}})", "algorithm.sigma: must be a number"},
        BadCase{"BadShaping", R"({"conditions": [{"algorithm": {"type": "es", "shaping": "ranks"}}]})",
                "conditions[0].algorithm.shaping: unknown value \"ranks\" (expected \"centered_ranks\" or \"zscore\")"},
        BadCase{"BadOptimizer", R"({"algorithm": {"type": "es", "optimizer": "rmsprop"}})",
                "algorithm.optimizer: unknown value \"rmsprop\""},
        BadCase{"AntitheticNotBool", R"({"algorithm": {"type": "es", "antithetic": 1}})", "algorithm.antithetic"},
        BadCase{"LowRankWithoutRank", R"({"algorithm": {"type": "es", "perturbation": {"type": "lowrank"}}})",
                "algorithm.perturbation.rank: is required"},
        BadCase{"RankZero",
                R"({"algorithm": {"type": "es", "perturbation": {"type": "lowrank", "rank": 0}}})",
                "algorithm.perturbation.rank: must be an integer from 1 to 4096"},
        BadCase{"UnknownPerturbation", R"({"algorithm": {"type": "es", "perturbation": {"type": "sparse"}}})",
                "algorithm.perturbation.type: unknown perturbation \"sparse\""},
        BadCase{"FullWithRank", R"({"algorithm": {"type": "es", "perturbation": {"type": "full", "rank": 2}}})",
                "algorithm.perturbation.rank: unknown field"},
        BadCase{"OddAntitheticPopulation",
                R"({"ga": {"population": 9}, "conditions": [{"name": "a"}, {"name": "b", "algorithm": {"type": "es"}}]})",
                "conditions[1].ga.population (9) must be even for antithetic ES"},
        BadCase{"SeveralStages",
                R"({"algorithm": {"type": "es"},
                    "ga": {"population": 64, "stages": [{"evaluations": 1, "keep": 32}, {"evaluations": 2, "keep": 8}]}})",
                "conditions[0].ga.stages: an ES condition evaluates every member with the same episodes"},
        BadCase{"TopLevelBadEvenIfOverridden",
                R"({"algorithm": {"type": "es", "sigma": -1}, "conditions": [{"algorithm": {"type": "ga"}}]})",
                "algorithm.sigma"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace seedline::evolve
