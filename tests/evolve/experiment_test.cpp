// Experiment files: defaults, condition overrides, and errors that name the bad field.
#include "evolve/experiment.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace seedline::evolve {
namespace {

// The example experiment file of the project's design (three conditions), comments included.
const char* kDesignExample = R"({"name": "cartpole-demo", "seed": 7, "trials": 3,
   // comments are allowed
   "task": {"type": "cartpole", "episodes": 2},
   "network": [{"type": "dense", "out": 32, "activation": "relu"}, {"type": "dense", "out": 2}],
   "ga": {"population": 64, "truncation": 8, "elites": 1, "generations": 30,
          "mutation_rate": 0.01, "stages": [{"evaluations": 2, "keep": 8}], "snapshot_every": 10},
   "conditions": [
     {"name": "factorized", "representation": {"type": "factorized", "rank": 1}},
     {"name": "direct", "representation": {"type": "direct"}},
     {"name": "small", "representation": {"type": "direct"},
      "network": [{"type": "dense", "out": 4, "activation": "relu"}, {"type": "dense", "out": 2}]}]})";

TEST(Experiment, ParsesTheDesignExample) {
  const auto spec = parse_experiment(kDesignExample, "demo.json");
  EXPECT_EQ(spec.name, "cartpole-demo");
  EXPECT_EQ(spec.seed, 7u);
  EXPECT_EQ(spec.trials, 3);
  ASSERT_EQ(spec.conditions.size(), 3u);
  EXPECT_EQ(spec.conditions[0].representation["type"], "factorized");
  EXPECT_EQ(spec.conditions[2].network[0]["out"], 4);
  EXPECT_EQ(spec.conditions[1].network[0]["out"], 32);
  const auto& ga = spec.conditions[0].ga;
  EXPECT_EQ(ga.population, 64);
  EXPECT_EQ(ga.truncation, 8);
  ASSERT_EQ(ga.stages.size(), 1u);
  EXPECT_EQ(ga.stages[0].evaluations, 2);
  EXPECT_EQ(spec.conditions[0].task["episodes"], 2);
}

TEST(Experiment, DefaultsFillAnEmptyFile) {
  const auto spec = parse_experiment("{}", "/tmp/my-exp.json");
  EXPECT_EQ(spec.name, "my-exp");
  EXPECT_EQ(spec.trials, 1);
  ASSERT_EQ(spec.conditions.size(), 1u);
  EXPECT_EQ(spec.conditions[0].name, "default");
  EXPECT_EQ(spec.conditions[0].task["type"], "cartpole");
  EXPECT_EQ(spec.conditions[0].ga.stages.size(), 1u);
  EXPECT_EQ(spec.conditions[0].ga.stages[0].keep, spec.conditions[0].ga.truncation);
}

TEST(Experiment, ConditionsOverrideSingleGaFields) {
  const auto spec = parse_experiment(
      R"({"ga": {"population": 20, "generations": 5},
          "conditions": [{"name": "a"}, {"name": "b", "ga": {"generations": 9, "mutation_rate": 0.5}}]})",
      "x.json");
  EXPECT_EQ(spec.conditions[0].ga.generations, 5);
  EXPECT_EQ(spec.conditions[1].ga.generations, 9);
  EXPECT_EQ(spec.conditions[1].ga.population, 20);
  EXPECT_EQ(spec.conditions[1].ga.mutation_rate, 0.5);
}

TEST(Experiment, StagesSetTheTruncation) {
  const auto spec = parse_experiment(
      R"({"ga": {"population": 64, "stages": [{"evaluations": 2, "keep": 32}, {"evaluations": 4, "keep": 8}]}})",
      "x.json");
  EXPECT_EQ(spec.conditions[0].ga.truncation, 8);
}

TEST(Experiment, ConfigsRoundTripThroughJson) {
  const auto spec = parse_experiment(kDesignExample, "demo.json");
  for (const auto& c : spec.conditions) {
    const auto back = ConditionConfig::from_json(c.to_json());
    EXPECT_EQ(back.to_json(), c.to_json()) << c.name;
  }
}

TEST(Experiment, RunSeedsDifferAcrossConditionsAndTrials) {
  EXPECT_NE(run_seed(7, 0, 0), run_seed(7, 0, 1));
  EXPECT_NE(run_seed(7, 0, 0), run_seed(7, 1, 0));
  EXPECT_NE(run_seed(7, 0, 0), run_seed(8, 0, 0));
  EXPECT_EQ(run_seed(7, 2, 3), run_seed(7, 2, 3));
}

struct BadCase {
  const char* name;
  const char* text;
  const char* message;  // a part of the expected error
};

class ExperimentErrors : public ::testing::TestWithParam<BadCase> {};

// QA: a file of 400,000 nested '[' (800 KB) crashed seedline with a stack overflow.
TEST(Experiment, DeepNestingIsAnErrorNotACrash) {
  for (const size_t depth : {257u, 400'000u}) {
    SCOPED_TRACE(depth);
    const std::string text = "{\"name\": " + std::string(depth, '[') + std::string(depth, ']') + "}";
    try {
      parse_experiment(text, "deep.json");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("nested more than 256 levels deep"), std::string::npos) << e.what();
    }
  }
  // 255 levels inside the document's object are still read (and refused for their type).
  const std::string ok = "{\"name\": " + std::string(255, '[') + std::string(255, ']') + "}";
  EXPECT_THROW(
      try { parse_experiment(ok, "ok.json"); } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("name: must be a string"), std::string::npos) << e.what();
        throw;
      },
      Error);
}

TEST_P(ExperimentErrors, NameTheField) {
  try {
    parse_experiment(GetParam().text, "bad.json");
    FAIL() << "accepted: " << GetParam().text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ExperimentErrors,
    ::testing::Values(
        BadCase{"NotJson", "{\"name\": ", "bad.json: not valid JSON"},
        BadCase{"NotAnObject", "[1]", "must be an object"},
        // QA: a number beyond double range threw nlohmann's out_of_range, reported as an
        // "internal error" without the file name.
        // QA: nlohmann keeps the last of two equal keys, so these ran silently with 20 and 'b'.
        BadCase{"DuplicateGaKey", R"({"ga": {"population": 10, "population": 20}})",
                "ga.population: given twice in the same object"},
        BadCase{"DuplicateTopKey", R"({"name": "a", "name": "b"})", "name: given twice in the same object"},
        BadCase{"DuplicateKeyInCondition", R"({"conditions": [{"name": "a", "ga": {"elites": 1, "elites": 2}}]})",
                "conditions[].ga.elites: given twice in the same object"},
        // QA: a newline or escape sequence in the name was stored and garbled `seedline status`.
        BadCase{"NameWithNewline", R"({"name": "a\nb"})", "name: must be 1-128 characters without control characters"},
        BadCase{"NameWithEscape", R"({"name": "\u001b[2J"})", "name: must be 1-128 characters"},
        BadCase{"NumberOverflow", R"({"ga": {"mutation_rate": 1e999}})",
                "bad.json: not valid JSON: number overflow parsing '1e999'"},
        BadCase{"UnknownTopField", R"({"sed": 1})", "sed: unknown field"},
        BadCase{"UnknownGaField", R"({"ga": {"popsize": 3}})", "ga.popsize: unknown field"},
        BadCase{"StageKeepGrows",
                R"({"ga": {"stages": [{"evaluations": 2, "keep": 32}, {"evaluations": 4, "keep": 40}]}})",
                "ga.stages[1].keep (40) exceeds the previous stage's keep (32)"},
        BadCase{"StageKeepTooBig", R"({"ga": {"population": 10, "stages": [{"keep": 11}]}})",
                "ga.stages[0].keep (11) exceeds ga.population (10)"},
        BadCase{"TruncationVsStages", R"({"ga": {"truncation": 5, "stages": [{"keep": 4}]}})",
                "ga.truncation (5) differs from the last stage's keep (4)"},
        BadCase{"NegativePopulation", R"({"ga": {"population": -3}})", "ga.population: must be an integer"},
        BadCase{"ElitesExceedTruncation", R"({"ga": {"truncation": 2, "elites": 3}})",
                "ga.elites (3) exceeds ga.truncation (2)"},
        BadCase{"MutationRateZero", R"({"ga": {"mutation_rate": 0}})", "ga.mutation_rate"},
        BadCase{"TrialsString", R"({"trials": "3"})", "trials: must be an integer"},
        BadCase{"SeedNegative", R"({"seed": -1})", "seed: must be an unsigned 64-bit integer"},
        BadCase{"ConditionWithoutName", R"({"conditions": [{"name": "a"}, {}]})", "conditions[1].name: is required"},
        BadCase{"DuplicateCondition", R"({"conditions": [{"name": "a"}, {"name": "a"}]})",
                "conditions[1].name: duplicate condition name 'a'"},
        BadCase{"ConditionUnknownField", R"({"conditions": [{"name": "a", "netwrk": []}]})",
                "conditions[0].netwrk: unknown field"},
        BadCase{"ConditionGaOverrideBad", R"({"conditions": [{"name": "a", "ga": {"elites": 100}}]})",
                "conditions[0].ga.elites (100) exceeds conditions[0].ga.truncation (8)"},
        BadCase{"EmptyConditions", R"({"conditions": []})", "conditions: must be a non-empty list"},
        BadCase{"EmptyNetwork", R"({"network": []})", "network: must be a non-empty list"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// The name limit counts characters: 128 two-byte "é" (256 bytes) are fine, 129 are not.
TEST(Experiment, TheNameLimitCountsUtf8CharactersNotBytes) {
  std::string name;
  for (int i = 0; i < 128; ++i) name += "\xc3\xa9";
  EXPECT_EQ(parse_experiment(R"({"name": ")" + name + R"("})", "e.json").name, name);
  try {
    parse_experiment(R"({"name": ")" + name + "\xc3\xa9" + R"("})", "e.json");
    ADD_FAILURE() << "129 characters accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("name: must be 1-128 characters"), std::string::npos) << e.what();
  }
  // A name from a file name that is not UTF-8 is refused, not stored.
  EXPECT_THROW(parse_experiment("{}", "/tmp/caf\xe9.json"), Error);
}

}  // namespace
}  // namespace seedline::evolve
