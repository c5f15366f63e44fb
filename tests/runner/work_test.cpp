// The work interface: items, error naming, and that any executor honouring the contract
// (here one that shares nothing with the coordinator, like a remote one) gives the same
// bits as the local thread pool.
#include "runner/work.hpp"

#include <gtest/gtest.h>

#include "evolve/seeds.hpp"
#include "genome/run_genome.hpp"
#include "runner/local_executor.hpp"
#include "runner/run_driver.hpp"
#include "runner/submit.hpp"
#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "tasks/mlp_policy.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::TempDir;

TEST(WorkItems, OnePerMemberAndEpisodeWithTheGenerationsEpisodeSeeds) {
  const std::vector<evolve::Slot> slots = {{evolve::Slot::Kind::kElite, 0, 0},
                                           {evolve::Slot::Kind::kChild, 2, 77},
                                           {evolve::Slot::Kind::kChild, 1, 78}};
  const std::vector<int> members = {2, 0};
  const auto env = stage_items(members, slots, 1, 3, false, 99, 4);
  ASSERT_EQ(env.size(), 6u);
  for (size_t i = 0; i < env.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(env[i].member, members[i / 3]);
    EXPECT_EQ(env[i].source.seed, slots[static_cast<size_t>(members[i / 3])].seed);
    EXPECT_EQ(env[i].stage, 1);
    EXPECT_EQ(env[i].episode, static_cast<int>(i % 3));
    EXPECT_EQ(env[i].episode_seed, evolve::episode_seed(99, 4, 1, static_cast<int>(i % 3)));
  }
  // A function task scores each member once per stage, whatever the stage's evaluations.
  const auto fn = stage_items(members, slots, 0, 3, true, 99, 4);
  ASSERT_EQ(fn.size(), 2u);
  EXPECT_EQ(fn[1].member, 0);
  EXPECT_EQ(fn[1].episode, 0);

  std::vector<ItemResult> results(env.size());
  for (size_t i = 0; i < results.size(); ++i) results[i] = {static_cast<double>(i), static_cast<int64_t>(10 * i), {}};
  std::vector<evolve::Evaluation> out(3);
  accumulate(env, results, out);
  EXPECT_EQ(out[2].reward_sum, 0 + 1 + 2);
  EXPECT_EQ(out[0].reward_sum, 3 + 4 + 5);
  EXPECT_EQ(out[0].episodes, 3);
  EXPECT_EQ(out[0].steps, 120);
  EXPECT_EQ(out[1].episodes, 0);
}

TEST(WorkItems, ErrorsNameTheItemAndKeepTheCode) {
  WorkItem item;
  item.member = 5;
  item.source = {evolve::Slot::Kind::kChild, 1, 123};
  item.stage = 0;
  item.episode = 1;
  EXPECT_EQ(describe(item), "member 5 (child of parent 1, seed 123), stage 0, episode 1");
  const auto code_and_message = [&](std::exception_ptr e) {
    try {
      rethrow_for_item(item, e);
    } catch (const Error& err) {
      return std::make_pair(err.code(), std::string(err.what()));
    }
    return std::make_pair(ErrorCode::kInternal, std::string("did not throw"));
  };
  const auto a = code_and_message(std::make_exception_ptr(Error(ErrorCode::kIOError, "pipe closed")));
  EXPECT_EQ(a.first, ErrorCode::kIOError);
  EXPECT_EQ(a.second, "member 5 (child of parent 1, seed 123), stage 0, episode 1: pipe closed");
  const auto b = code_and_message(std::make_exception_ptr(std::runtime_error("boom")));
  EXPECT_EQ(b.first, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(b.second, "member 5 (child of parent 1, seed 123), stage 0, episode 1: boom");
  EXPECT_THROW(rethrow_for_item(item, std::make_exception_ptr(RunInterrupted{})), RunInterrupted);
  item.source = {evolve::Slot::Kind::kRoot, -1, 9};
  EXPECT_EQ(describe(item), "member 5 (root, seed 9), stage 0, episode 1");
  item.source = {evolve::Slot::Kind::kElite, 0, 0};
  EXPECT_EQ(describe(item), "member 5 (elite, parent 0), stage 0, episode 1");
}

// An executor as a remote one would be: it builds its own genome and task from the setup's
// JSON, derives its own parents, evaluates items one by one in reverse order, and shares
// nothing with the coordinator.
class DetachedExecutor final : public Executor {
 public:
  void begin_run(const RunSetup& setup, std::span<const GenotypePtr> parents) override {
    genome_ = std::make_unique<genome::Genome>(
        genome::genome_for_condition(evolve::ConditionConfig::from_json(setup.condition), setup.noise_version,
                                     setup.kernel_version));
    task_ = tasks::make_task(setup.condition.at("task"));
    for (const auto& p : parents) parents_.push_back(std::make_shared<const std::vector<float>>(*p));  // a copy
    ++runs;
  }
  void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) override {
    for (size_t i = items.size(); i-- > 0;) {
      const auto genotype = derive_genotype(*genome_, items[i].source, parents_);
      const auto phenotype = genome_->develop(*genotype);
      if (task_->scores_phenotype()) {
        results[i] = {task_->score(phenotype), 0, {{"calls", 1.0}}};
      } else {
        const auto net = genome::build_mlp(genome_->architecture(), phenotype, genome_->kernel_version());
        tasks::MlpPolicy policy(net);
        const auto r = task_->run_episode(policy, items[i].episode_seed);
        results[i] = {r.reward, r.steps, {}};
      }
      ++items_done;
    }
  }
  void advance_parents(std::span<const evolve::Slot> sources) override {
    std::vector<GenotypePtr> next;
    for (const auto& s : sources) next.push_back(derive_genotype(*genome_, s, parents_));
    parents_ = std::move(next);
  }
  void end_run() override {
    parents_.clear();
    ++ended;
  }
  int runs = 0, ended = 0;
  int64_t items_done = 0;

 private:
  std::unique_ptr<genome::Genome> genome_;
  std::unique_ptr<tasks::Task> task_;
  std::vector<GenotypePtr> parents_;
};

// Drives every run of the database at `path` to its end with `executor` (null: the default).
void drive_all(const std::filesystem::path& path, Executor* executor, int threads) {
  auto db = store::open_database(path, store::OpenPurpose::kWrite);
  ThreadPool pool(threads);
  DriverOptions options;
  options.executor = executor;
  while (auto claimed = store::claim_run(db, {"me", 1e9, 60, std::nullopt})) {
    const auto result = drive_run(db, *claimed, "me", pool, options);
    ASSERT_EQ(result.outcome, RunOutcome::kFinished) << result.message;
  }
}

TEST(Executors, ADetachedExecutorAndASmallNetworkBudgetGiveTheLocalExecutorsBits) {
  TempDir dir;
  for (const auto& [name, spec] : {std::pair<std::string, const char*>{"sphere", testing::kSphereExperiment},
                                   std::pair<std::string, const char*>{"cartpole", testing::kCartpoleExperiment}}) {
    SCOPED_TRACE(name);
    const auto make = [&](const std::string& suffix) {
      const auto path = dir / (name + suffix + ".db");
      auto db = store::open_database(path, store::OpenPurpose::kCreate);
      submit_experiment(db, evolve::parse_experiment(spec, "t.json"), "t.json");
      return path;
    };
    const auto local = make("-local"), detached = make("-detached"), chunked = make("-chunked");
    drive_all(local, nullptr, 2);
    DetachedExecutor remote;
    drive_all(detached, &remote, 1);
    EXPECT_GT(remote.items_done, 0);
    EXPECT_EQ(remote.runs, remote.ended);
    {
      // One network per thread at a time instead of the whole stage.
      ThreadPool pool(2);
      LocalExecutor small(pool, {}, LocalExecutor::Options{1});
      auto db = store::open_database(chunked, store::OpenPurpose::kWrite);
      DriverOptions options;
      options.executor = &small;
      while (auto claimed = store::claim_run(db, {"me", 1e9, 60, std::nullopt})) {
        ASSERT_EQ(drive_run(db, *claimed, "me", pool, options).outcome, RunOutcome::kFinished);
      }
    }
    const auto a = testing::read_histories(local);
    for (const auto& other : {detached, chunked}) {
      const auto b = testing::read_histories(other);
      ASSERT_EQ(a.size(), b.size());
      for (const auto& [run, h] : a) {
        EXPECT_EQ(h.state, "finished");
        EXPECT_EQ(testing::first_difference(h, b.at(run)), "") << other << " run " << run;
      }
    }
  }
}

TEST(Executors, MemoryDoesNotGrowWithThePopulation) {
  const auto spec = evolve::parse_experiment(
      R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 2000, "out": 2000}],
          "ga": {"population": 1000, "truncation": 20}})",
      "t.json");
  const auto genome = genome::genome_for_condition(spec.conditions[0], 1);
  auto ga = spec.conditions[0].ga;
  const double g = 4'002'000.0 * 4;  // 2000 x 2000 weights + 2000 biases, float32
  // 2 x 20 parents + one genotype per thread (a direct sphere's genotype is its phenotype).
  EXPECT_DOUBLE_EQ(LocalExecutor::memory_bytes(genome, ga, true, 2, {}), (40 + 2) * g);
  ga.population = 100'000;
  EXPECT_DOUBLE_EQ(LocalExecutor::memory_bytes(genome, ga, true, 2, {}), (40 + 2) * g);
}

}  // namespace
}  // namespace seedline::runner
