// The GA's planning and staged selection as pure functions.
#include "evolve/ga.hpp"

#include <gtest/gtest.h>

#include <set>

namespace seedline::evolve {
namespace {

GaSettings settings(int population, int truncation, int elites, std::vector<Stage> stages) {
  GaSettings ga;
  ga.population = population;
  ga.truncation = truncation;
  ga.elites = elites;
  ga.stages = std::move(stages);
  return ga;
}

TEST(Ga, GenerationZeroIsAllRootsWithDistinctSeeds) {
  const auto ga = settings(50, 5, 1, {{1, 5}});
  const auto slots = plan_generation(42, 0, ga, 0);
  ASSERT_EQ(slots.size(), 50u);
  std::set<uint64_t> seeds;
  for (const auto& s : slots) {
    EXPECT_EQ(s.kind, Slot::Kind::kRoot);
    seeds.insert(s.seed);
  }
  EXPECT_EQ(seeds.size(), 50u);
}

TEST(Ga, LaterGenerationsCarryElitesThenChildren) {
  const auto ga = settings(200, 10, 2, {{1, 10}});
  const auto slots = plan_generation(42, 3, ga, 10);
  EXPECT_EQ(slots[0].kind, Slot::Kind::kElite);
  EXPECT_EQ(slots[0].parent, 0);
  EXPECT_EQ(slots[1].parent, 1);
  std::vector<int> picks(10, 0);
  for (size_t i = 2; i < slots.size(); ++i) {
    ASSERT_EQ(slots[i].kind, Slot::Kind::kChild);
    ASSERT_GE(slots[i].parent, 0);
    ASSERT_LT(slots[i].parent, 10);
    ++picks[slots[i].parent];
  }
  // Uniform parent choice: 198 picks over 10 parents; every parent gets some.
  for (int p : picks) EXPECT_GT(p, 5);
  // Planning is a pure function of (seed, generation): the same twice, different next time.
  const auto again = plan_generation(42, 3, ga, 10);
  const auto next = plan_generation(42, 4, ga, 10);
  EXPECT_EQ(again[50].seed, slots[50].seed);
  EXPECT_NE(next[50].seed, slots[50].seed);
}

TEST(Ga, StagesTruncateAndAccumulateEpisodes) {
  // Fitness of member m in every episode is m % 7, so the survivors are the highest residues.
  const auto ga = settings(20, 3, 1, {{2, 8}, {3, 3}});
  int calls = 0;
  auto result = evaluate_and_select(20, ga, [&](std::span<const int> members, int stage, std::span<Evaluation> out) {
    ++calls;
    EXPECT_EQ(members.size(), stage == 0 ? 20u : 8u);
    for (int m : members) {
      const int episodes = ga.stages[stage].evaluations;
      out[m].reward_sum += episodes * (m % 7);
      out[m].episodes += episodes;
      out[m].steps += 10 * episodes;
    }
  });
  EXPECT_EQ(calls, 2);
  // Residue 6: members 6, 13; residue 5: 5, 12, 19 -> best first, ties by lower index.
  EXPECT_EQ(result.parents, (std::vector<int>{6, 13, 5}));
  EXPECT_EQ(result.evaluations[6].episodes, 5);
  EXPECT_EQ(result.evaluations[0].episodes, 2);
  const auto summary = summarize(result.evaluations, result.parents[0]);
  EXPECT_EQ(summary.best, 6);
  EXPECT_EQ(summary.evaluations, 20 * 2 + 8 * 3);
  EXPECT_EQ(summary.steps, 10 * (20 * 2 + 8 * 3));
}

TEST(Ga, NanFitnessRanksLast) {
  std::vector<Evaluation> e(3);
  e[0] = {std::nan(""), 1, 0, 0};
  e[1] = {1.0, 1, 0, 0};
  e[2] = {-5.0, 1, 0, 0};
  const std::vector<int> members{0, 1, 2};
  EXPECT_EQ(rank(members, e), (std::vector<int>{1, 2, 0}));
}

TEST(Ga, SummaryMedianAndStd) {
  std::vector<Evaluation> e{{1, 1, 0, 0}, {2, 1, 0, 0}, {3, 1, 0, 0}, {10, 1, 0, 0}};
  const auto s = summarize(e, 3);
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt((9.0 + 4.0 + 1.0 + 36.0) / 4.0));
  EXPECT_EQ(s.best, 10);
}

}  // namespace
}  // namespace seedline::evolve
