// Run summaries: last committed generation, configured total and best over generations.
#include "store/run_summary.hpp"

#include <gtest/gtest.h>

#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"

namespace seedline::store {
namespace {

GenerationRow generation(int64_t run, int g, double best, int64_t best_individual) {
  GenerationRow row;
  row.run_id = run;
  row.generation = g;
  row.first_individual = best_individual;
  row.last_individual = best_individual;
  row.best = best;
  row.best_individual = best_individual;
  row.parents = {best_individual};
  return row;
}

TEST(RunSummary, ReportsLastGenerationAndBestOverGenerations) {
  auto db = Database::open_memory();
  migrate(db);
  const int64_t e = insert_experiment(db, "demo", "{}");
  const int64_t c = insert_condition(db, e, 0, "direct", R"({"ga": {"generations": 30}})");
  const int64_t c2 = insert_condition(db, e, 1, "bare", "{}");
  const int64_t r0 = insert_run(db, e, c, 0, 5, 1);
  const int64_t r1 = insert_run(db, e, c2, 0, 6, 1);
  const NewIndividual n{std::nullopt, 1, 0, std::nullopt, std::nullopt};
  const std::vector<NewIndividual> four(4, n);
  const auto [first, last] = insert_individuals(db, r0, four);
  ASSERT_EQ(last - first, 3);
  // Generation 1 holds the best (12), generation 3 ties it later: the earlier one is reported.
  insert_generation(db, generation(r0, 0, 3.0, first));
  insert_generation(db, generation(r0, 1, 12.0, first + 1));
  insert_generation(db, generation(r0, 2, 7.5, first + 2));
  insert_generation(db, generation(r0, 3, 12.0, first + 3));

  const auto all = run_summaries(db);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].run.id, r0);
  EXPECT_EQ(all[0].experiment_name, "demo");
  EXPECT_EQ(all[0].run.condition, "direct");
  EXPECT_EQ(all[0].generations, 30);
  EXPECT_EQ(all[0].last_generation, 3);
  EXPECT_EQ(all[0].best_fitness, 12.0);
  EXPECT_EQ(all[0].best_individual, first + 1);

  // No commits yet: generation -1, no best; a config without ga.generations reads as 0.
  EXPECT_EQ(all[1].run.id, r1);
  EXPECT_EQ(all[1].last_generation, -1);
  EXPECT_EQ(all[1].generations, 0);
  EXPECT_FALSE(all[1].best_fitness);
  EXPECT_FALSE(all[1].best_individual);

  EXPECT_EQ(run_summaries(db, e).size(), 2u);
  EXPECT_TRUE(run_summaries(db, e + 1).empty());
  ASSERT_TRUE(run_summary(db, r1));
  EXPECT_EQ(run_summary(db, r1)->run.id, r1);
  EXPECT_FALSE(run_summary(db, r1 + 100));
}

}  // namespace
}  // namespace seedline::store
