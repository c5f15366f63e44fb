// Round trips of experiments, conditions, runs and generation summaries through SQLite.
#include "store/experiment_repo.hpp"

#include <gtest/gtest.h>

#include "store/migrations.hpp"
#include "util/error.hpp"

namespace seedline::store {
namespace {

class ExperimentRepo : public ::testing::Test {
 protected:
  void SetUp() override { migrate(db_); }
  Database db_ = Database::open_memory();
};

TEST_F(ExperimentRepo, RowsRoundTrip) {
  const int64_t e = insert_experiment(db_, "demo", R"({"name":"demo"})");
  const int64_t c0 = insert_condition(db_, e, 0, "factorized", "{}");
  const int64_t c1 = insert_condition(db_, e, 1, "direct", "{}");
  const int64_t r = insert_run(db_, e, c1, 2, 0xfedcba9876543210ULL, 1);
  ASSERT_TRUE(find_experiment(db_, e));
  EXPECT_EQ(find_experiment_by_name(db_, "demo")->id, e);
  EXPECT_FALSE(find_experiment_by_name(db_, "nope"));
  const auto conditions = list_conditions(db_, e);
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[0].id, c0);
  EXPECT_EQ(conditions[1].name, "direct");
  const auto run = find_run(db_, r);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->condition, "direct");
  EXPECT_EQ(run->trial, 2);
  EXPECT_EQ(run->seed, 0xfedcba9876543210ULL);
  EXPECT_EQ(run->state, RunState::kQueued);
  EXPECT_EQ(list_runs(db_, e).size(), 1u);
  EXPECT_EQ(list_runs(db_, e + 1).size(), 0u);
  EXPECT_EQ(list_runs(db_).size(), 1u);
}

// Migration 0007: a run records its kernel version; rows written without one (databases made
// before kernel versions existed) read as version 1.
TEST_F(ExperimentRepo, RunsKeepTheirKernelVersionAndOldRowsReadAsOne) {
  const int64_t e = insert_experiment(db_, "demo", "{}");
  const int64_t c = insert_condition(db_, e, 0, "direct", "{}");
  const int64_t v2 = insert_run(db_, e, c, 0, 7, 1, 2);
  const int64_t plain = insert_run(db_, e, c, 1, 8, 1);
  db_.exec("INSERT INTO runs(experiment_id, condition_id, trial, seed, noise_version, created_at, updated_at) VALUES (" +
           std::to_string(e) + ", " + std::to_string(c) + ", 2, 9, 1, 'x', 'x')");
  EXPECT_EQ(find_run(db_, v2)->kernel_version, 2);
  EXPECT_EQ(find_run(db_, plain)->kernel_version, 1);
  const auto runs = list_runs(db_, e);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2].kernel_version, 1);
  EXPECT_EQ(runs[2].noise_version, 1);
}

TEST_F(ExperimentRepo, GenerationSummariesKeepTheirParents) {
  const int64_t e = insert_experiment(db_, "demo", "{}");
  const int64_t c = insert_condition(db_, e, 0, "direct", "{}");
  const int64_t r = insert_run(db_, e, c, 0, 7, 1);
  db_.exec("INSERT INTO individuals(id, run_id, generation, seed) VALUES (1, " + std::to_string(r) + ", 0, 5)");
  GenerationRow g;
  g.run_id = r;
  g.generation = 0;
  g.first_individual = g.last_individual = g.best_individual = 1;
  g.best = 3.5;
  g.parents = {1, -2, int64_t{1} << 40};
  g.evaluations = 10;
  g.steps = 1234;
  insert_generation(db_, g);
  const auto back = last_generation(db_, r);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->parents, g.parents);
  EXPECT_EQ(back->best, 3.5);
  EXPECT_EQ(back->steps, 1234);
  EXPECT_EQ(list_generations(db_, r).size(), 1u);
  EXPECT_FALSE(last_generation(db_, r + 1));
  // No parents is an empty list, not NULL.
  g.generation = 1;
  g.parents.clear();
  insert_generation(db_, g);
  EXPECT_TRUE(last_generation(db_, r)->parents.empty());
}

TEST_F(ExperimentRepo, ADuplicateConditionNameIsRefused) {
  const int64_t e = insert_experiment(db_, "demo", "{}");
  insert_condition(db_, e, 0, "direct", "{}");
  EXPECT_THROW(insert_condition(db_, e, 1, "direct", "{}"), Error);
}

}  // namespace
}  // namespace seedline::store
