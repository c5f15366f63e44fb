// The Deep GA's own settings: an absolute mutation std ("sigma") and the elite chosen by
// re-evaluating the best candidates; defaults leave existing experiments unchanged.
#include <gtest/gtest.h>

#include <bit>

#include "evolve/experiment.hpp"
#include "evolve/ga.hpp"
#include "genome/run_genome.hpp"
#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::evolve {
namespace {

const char* kBase = R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 30, "out": 20}], "ga": %s})";

ExperimentSpec parse_ga(const std::string& ga) {
  char text[512];
  std::snprintf(text, sizeof text, kBase, ga.c_str());
  return parse_experiment(text, "t.json");
}

TEST(DeepGa, SigmaIsStoredInsteadOfTheMutationRateAndOnlyWhenGiven) {
  const auto plain = parse_ga("{}");
  EXPECT_FALSE(plain.conditions[0].ga.sigma);
  const auto plain_json = plain.conditions[0].to_json();
  EXPECT_FALSE(plain_json["ga"].contains("sigma"));
  EXPECT_FALSE(plain_json["ga"].contains("elite_selection"));
  EXPECT_TRUE(plain_json["ga"].contains("mutation_rate"));

  const auto deep = parse_ga(R"({"sigma": 0.002, "truncation": 20, "population": 40,
                                 "elite_selection": {"candidates": 10, "episodes": 30}})");
  const auto& ga = deep.conditions[0].ga;
  ASSERT_TRUE(ga.sigma);
  EXPECT_EQ(*ga.sigma, 0.002);
  ASSERT_TRUE(ga.elite_selection);
  EXPECT_EQ(ga.elite_selection->candidates, 10);
  EXPECT_EQ(ga.elite_selection->episodes, 30);
  const auto j = deep.conditions[0].to_json();
  EXPECT_FALSE(j["ga"].contains("mutation_rate"));
  // The stored config reads back to the same settings.
  const auto back = ConditionConfig::from_json(j);
  EXPECT_EQ(back.ga.sigma, ga.sigma);
  EXPECT_EQ(back.ga.elite_selection->candidates, 10);
  EXPECT_EQ(back.to_json(), j);
}

TEST(DeepGa, ALaterLevelsMutationSettingWins) {
  const auto spec = parse_experiment(R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 3, "out": 2}],
      "ga": {"sigma": 0.01},
      "conditions": [{"name": "abs"}, {"name": "rel", "ga": {"mutation_rate": 0.05}}]})",
                                     "t.json");
  EXPECT_EQ(spec.conditions[0].ga.sigma, 0.01);
  EXPECT_FALSE(spec.conditions[1].ga.sigma);
  EXPECT_EQ(spec.conditions[1].ga.mutation_rate, 0.05);
}

TEST(DeepGa, BadSettingsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"sigma": 0.01, "mutation_rate": 0.01})", "ga.sigma: give either sigma"},
      {R"({"sigma": -1})", "ga.sigma"},
      {R"({"elite_selection": {"candidates": 9}})", "ga.elite_selection.candidates (9) exceeds ga.truncation (8)"},
      {R"({"elite_selection": {"episodes": 0}})", "ga.elite_selection.episodes"},
      {R"({"elite_selection": {"candidatez": 2}})", "ga.elite_selection.candidatez"},
      {R"({"elites": 0, "elite_selection": {"candidates": 2}})", "needs ga.elites >= 1"},
      {R"({"elites": 3, "elite_selection": {"candidates": 2}})", "ga.elite_selection.candidates (2) is less than ga.elites (3)"},
  };
  for (const auto& [ga, expected] : cases) {
    SCOPED_TRACE(ga);
    try {
      parse_ga(ga);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

TEST(DeepGa, SigmaIsTheAbsoluteStdOfEveryMutation) {
  const auto spec = parse_ga(R"({"sigma": 0.002})");
  const auto genome = genome::genome_for_condition(spec.conditions[0], 1);
  for (const auto& b : genome.blocks()) EXPECT_EQ(b.mutation_std, 0.002f) << b.name;  // weights and biases
  auto x = genome.init(5);
  const auto parent = x;
  genome.mutate(x, 9);
  // Element by element: parent + float(0.002) * eps, one rounded multiply then one add.
  ASSERT_EQ(genome.blocks().size(), 2u);  // the weight, the bias
  for (size_t bi = 0; bi < genome.blocks().size(); ++bi) {
    const auto& b = genome.blocks()[bi];
    for (size_t i = 0; i < b.size; i += 7) {
      const float expected = parent[b.offset + i] + 0.002f * noise::eps_v1(9, static_cast<uint32_t>(bi), i);
      EXPECT_EQ(std::bit_cast<uint32_t>(x[b.offset + i]), std::bit_cast<uint32_t>(expected)) << b.name << " " << i;
    }
  }
  // A given bias_std still applies to biases.
  const auto with_bias = parse_ga(R"({"sigma": 0.002, "bias_std": 0.5})");
  const auto g2 = genome::genome_for_condition(with_bias.conditions[0], 1);
  EXPECT_EQ(g2.blocks()[0].mutation_std, 0.002f);
  EXPECT_EQ(g2.blocks()[1].mutation_std, 0.5f);
}

TEST(DeepGa, TheEliteIsChosenAmongTheCandidatesAfterMoreEpisodes) {
  // Stage 0 (1 episode): member m scores m % 10, so 9, 19, 8, 18, 7, 17 are the parents
  // (ties by lower index). The 3 candidates 9, 19, 8 play 5 more episodes, in which 19 scores
  // 100 and the others 0: 19 becomes the elite; 18 (not a candidate) is not re-evaluated.
  GaSettings ga;
  ga.population = 20;
  ga.truncation = 6;
  ga.elites = 1;
  ga.stages = {{1, 6}};
  ga.elite_selection = EliteSelection{3, 5};
  std::vector<std::pair<int, size_t>> calls;  // (stage, members)
  const auto result = evaluate_and_select(20, ga, [&](std::span<const int> members, int stage, std::span<Evaluation> out) {
    calls.emplace_back(stage, members.size());
    const int episodes = stage_episodes(ga, stage);
    for (const int m : members) {
      const double per_episode = stage == 0 ? m % 10 : (m == 19 ? 100 : 0);
      out[m].reward_sum += episodes * per_episode;
      out[m].episodes += episodes;
    }
  });
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1], (std::pair<int, size_t>{1, 3}));  // stage 1 = the re-evaluation, 3 candidates
  EXPECT_EQ(stage_episodes(ga, 1), 5);
  // Means over 6 episodes: 19 (9 + 500) / 6, 9 9/6, 8 8/6; the non-candidates keep their order.
  EXPECT_EQ(result.parents, (std::vector<int>{19, 9, 8, 18, 7, 17}));
  EXPECT_EQ(result.evaluations[9].episodes, 6);
  EXPECT_EQ(result.evaluations[18].episodes, 1);
}

TEST(DeepGa, AReEvaluationCanDemoteTheStageWinner) {
  GaSettings ga;
  ga.population = 10;
  ga.truncation = 4;
  ga.elites = 1;
  ga.stages = {{1, 4}};
  ga.elite_selection = EliteSelection{2, 30};
  // Stage 0: member 9 first (9), then 8. Re-evaluation: 9 scores 0 in 30 episodes, 8 scores 8.
  const auto result = evaluate_and_select(10, ga, [&](std::span<const int> members, int stage, std::span<Evaluation> out) {
    for (const int m : members) {
      const int episodes = stage_episodes(ga, stage);
      out[m].reward_sum += stage == 0 ? m : (m == 9 ? 0 : episodes * m);
      out[m].episodes += episodes;
    }
  });
  EXPECT_EQ(result.parents, (std::vector<int>{8, 9, 7, 6}));
  EXPECT_EQ(result.evaluations[8].fitness(), 8.0);
  EXPECT_NEAR(result.evaluations[9].fitness(), 9.0 / 31.0, 1e-12);
}

}  // namespace
}  // namespace seedline::evolve
