// The GA driver in process: what a generation commits, thread-count independence, failing
// tasks, NaN fitness and a run taken over by another daemon.
#include "runner/run_driver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "genome/run_genome.hpp"
#include "lineage/rebuild.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "store/snapshot_repo.hpp"
#include "support/temp_dir.hpp"
#include "tasks/function_tasks.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::TempDir;

// A database at `path` with `text` submitted.
store::Database submitted(const std::filesystem::path& path, const std::string& text) {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(text, "test.json"), "test.json");
  return db;
}

DaemonReport run_all(store::Database& db, int threads, DaemonOptions options = {}) {
  options.threads = threads;
  options.once = true;
  std::atomic<bool> stop{false};
  return run_daemon(db, options, stop);
}

TEST(Driver, CommitsNewbornsParentsChecksumsSnapshotsAndSummaries) {
  TempDir dir;
  auto db = submitted(dir / "a.db", testing::kSphereExperiment);
  const auto report = run_all(db, 2);
  ASSERT_EQ(report.finished.size(), 2u);
  // From kSphereExperiment: population 16, elites 2, 8 generations, stages keep 8 then 4,
  // snapshot_every 3.
  constexpr int kPopulation = 16, kElites = 2, kGenerations = 8;
  for (const int64_t run_id : report.finished) {
    const auto run = store::find_run(db, run_id).value();
    EXPECT_EQ(run.state, store::RunState::kFinished);
    const auto gens = store::list_generations(db, run_id);
    ASSERT_EQ(gens.size(), static_cast<size_t>(kGenerations));
    const auto individuals = store::individuals_of_run(db, run_id);
    EXPECT_EQ(individuals.size(), static_cast<size_t>(kPopulation + (kGenerations - 1) * (kPopulation - kElites)));
    const auto genome = genome::genome_for_run(db, run_id);
    for (const auto& g : gens) {
      SCOPED_TRACE("generation " + std::to_string(g.generation));
      EXPECT_EQ(g.last_individual - g.first_individual + 1, g.generation == 0 ? kPopulation : kPopulation - kElites);
      ASSERT_EQ(g.parents.size(), 4u);
      EXPECT_EQ(g.best_individual, g.parents.front());
      // Every member is scored in stage 0, the 8 survivors again in stage 1.
      EXPECT_EQ(g.evaluations, kPopulation + 8);
      EXPECT_EQ(g.steps, 0);
      EXPECT_LE(g.median, g.best);
      EXPECT_LE(g.mean, g.best);
      EXPECT_GE(g.std, 0);
      const auto best = store::get_individual(db, g.best_individual);
      for (const int64_t p : g.parents) {
        const auto row = store::get_individual(db, p);
        EXPECT_TRUE(row.checksum) << "parent " << p;
        const bool born_now = p >= g.first_individual && p <= g.last_individual;
        if (!born_now) {
          // A parent not born this generation is an elite carried unchanged: the same row as
          // one of the previous generation's first `elites` parents.
          ASSERT_GT(g.generation, 0);
          const auto& prev = gens[static_cast<size_t>(g.generation - 1)].parents;
          EXPECT_TRUE(p == prev[0] || p == prev[1]) << "parent " << p;
        }
        const bool snapshot_due = (g.generation + 1) % 3 == 0 || (g.generation == kGenerations - 1 && p == g.parents[0]);
        if (snapshot_due) {
          EXPECT_TRUE(store::has_snapshot(db, p)) << "parent " << p;
        }
      }
      // The stored best re-evaluates to the recorded fitness (birth fitness when born now).
      if (best.generation == g.generation) {
        ASSERT_TRUE(best.fitness);
        EXPECT_EQ(*best.fitness, g.best);
      }
      const auto genotype = lineage::rebuild(db, g.best_individual, genome.ops());
      const tasks::SphereTask sphere(0.5);
      EXPECT_EQ(sphere.score(genome.develop(genotype)), g.best);
    }
    // Monotone best: an elite is carried and rescored on a deterministic function.
    for (size_t k = 1; k < gens.size(); ++k) EXPECT_GE(gens[k].best, gens[k - 1].best);
  }
}

TEST(Driver, ResultsDoNotDependOnTheThreadCount) {
  TempDir dir;
  for (const auto& [name, spec] : {std::pair<std::string, const char*>{"sphere", testing::kSphereExperiment},
                                   std::pair<std::string, const char*>{"cartpole", testing::kCartpoleExperiment}}) {
    auto one = submitted(dir / (name + "1.db"), spec);
    auto three = submitted(dir / (name + "3.db"), spec);
    run_all(one, 1);
    run_all(three, 3);
    const auto a = testing::read_histories(dir / (name + "1.db"));
    const auto b = testing::read_histories(dir / (name + "3.db"));
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [run, h] : a) {
      EXPECT_EQ(h.state, "finished");
      EXPECT_EQ(testing::first_difference(h, b.at(run)), "") << name << " run " << run;
    }
  }
}

// A sphere whose score throws after `limit` calls (or NaN when `nan`).
class BrokenTask final : public tasks::FunctionTask {
 public:
  BrokenTask(int limit, bool nan) : FunctionTask(0), limit_(limit), nan_(nan) {}
  std::string name() const override { return "broken"; }
  double score(std::span<const float>) const override {
    if (nan_) return std::numeric_limits<double>::quiet_NaN();
    if (calls_.fetch_add(1) >= limit_) throw std::runtime_error("simulator exploded");
    return 1.0;
  }

 private:
  int limit_;
  bool nan_;
  mutable std::atomic<int> calls_{0};
};

TEST(Driver, AThrowingTaskFailsItsRunWithTheMessageAndTheDaemonGoesOn) {
  TempDir dir;
  auto db = submitted(dir / "a.db", testing::kSphereExperiment);
  DaemonOptions options;
  int built = 0;
  // The first run's task throws in generation 2 (24 scores per generation); the second is fine.
  options.make_task = [&built](const nlohmann::json& spec) -> std::unique_ptr<tasks::Task> {
    if (built++ == 0) return std::make_unique<BrokenTask>(2 * 24 + 5, false);
    return tasks::make_task(spec);
  };
  const auto report = run_all(db, 2, options);
  ASSERT_EQ(report.failed, std::vector<int64_t>{1});
  ASSERT_EQ(report.finished, std::vector<int64_t>{2});
  const auto run = store::find_run(db, 1).value();
  EXPECT_EQ(run.state, store::RunState::kFailed);
  // The message names the generation and the work item that failed (which one depends on
  // the threads' timing), then the task's reason.
  const std::string message = run.message.value_or("");
  EXPECT_EQ(message.rfind("generation 2: member ", 0), 0u) << message;
  EXPECT_NE(message.find("), stage "), std::string::npos) << message;
  EXPECT_NE(message.find(", episode 0: simulator exploded"), std::string::npos) << message;
  EXPECT_FALSE(run.owner);
  // Generations 0 and 1 stay committed; nothing of generation 2 was written.
  EXPECT_EQ(store::list_generations(db, 1).size(), 2u);
  EXPECT_EQ(store::individuals_of_run(db, 1).size(), 16u + 14u);
}

TEST(Driver, AGenerationWhoseFitnessIsAllNanFailsTheRun) {
  TempDir dir;
  auto db = submitted(dir / "a.db", testing::kSphereExperiment);
  DaemonOptions options;
  options.make_task = [](const nlohmann::json&) { return std::make_unique<BrokenTask>(0, true); };
  const auto report = run_all(db, 1, options);
  EXPECT_EQ(report.failed.size(), 2u);
  const auto run = store::find_run(db, 1).value();
  EXPECT_EQ(run.message, "generation 0: every individual's fitness is NaN");
  EXPECT_TRUE(store::list_generations(db, 1).empty());
}

TEST(Driver, AnUnknownNoiseVersionFailsTheRunNamingIt) {
  TempDir dir;
  auto db = store::open_database(dir / "a.db", store::OpenPurpose::kCreate);
  const auto spec = evolve::parse_experiment(testing::kSphereExperiment, "t.json");
  // Stand-in for a run recorded by a newer binary: noise version 99.
  const int64_t e = store::insert_experiment(db, spec.name, spec.source.dump());
  const int64_t c = store::insert_condition(db, e, 0, "direct", spec.conditions[1].to_json().dump());
  const int64_t run = store::insert_run(db, e, c, 0, 1, 99);
  auto claimed = store::claim_run(db, {"me", 1e9, 60, std::nullopt});
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->id, run);
  ThreadPool pool(1);
  const auto result = drive_run(db, *claimed, "me", pool, {});
  EXPECT_EQ(result.outcome, RunOutcome::kFailed);
  EXPECT_NE(result.message.find("noise version 99"), std::string::npos) << result.message;
  EXPECT_EQ(store::find_run(db, run)->state, store::RunState::kFailed);
}

TEST(Driver, ARunTakenOverByAnotherDaemonIsLeftAlone) {
  TempDir dir;
  auto db = submitted(dir / "a.db", testing::kSphereExperiment);
  auto claimed = store::claim_run(db, {"me", 1e9, 60, std::nullopt});
  ASSERT_TRUE(claimed);
  DriverOptions options;
  // After generation 1 commits, "thief" claims the run as if our heartbeat had gone stale.
  options.on_generation = [&](const GenerationTiming& t) {
    if (t.generation == 1) {
      ASSERT_TRUE(store::claim_run(db, {"thief", 2e9, 1, std::nullopt}));
    }
  };
  ThreadPool pool(2);
  const auto result = drive_run(db, *claimed, "me", pool, options);
  EXPECT_EQ(result.outcome, RunOutcome::kLost);
  const auto run = store::find_run(db, claimed->id).value();
  EXPECT_EQ(run.state, store::RunState::kRunning);
  EXPECT_EQ(run.owner, "thief");
  EXPECT_EQ(store::list_generations(db, claimed->id).size(), 2u);
}

TEST(Driver, AStopRequestPausesAndTheRunResumesToTheSameResult) {
  TempDir dir;
  auto reference = submitted(dir / "ref.db", testing::kCartpoleExperiment);
  run_all(reference, 1);
  auto db = submitted(dir / "a.db", testing::kCartpoleExperiment);
  std::atomic<bool> stop{false};
  DriverOptions options;
  options.stop = &stop;
  options.on_generation = [&](const GenerationTiming& t) {
    if (t.generation == 2) stop = true;
  };
  ThreadPool pool(2);
  auto claimed = store::claim_run(db, {"me", 1e9, 60, std::nullopt});
  ASSERT_TRUE(claimed);
  const auto result = drive_run(db, *claimed, "me", pool, options);
  EXPECT_EQ(result.outcome, RunOutcome::kPaused);
  EXPECT_EQ(result.last_generation, 2);
  EXPECT_EQ(store::find_run(db, claimed->id)->state, store::RunState::kPaused);
  run_all(db, 2);
  const auto a = testing::read_histories(dir / "ref.db");
  const auto b = testing::read_histories(dir / "a.db");
  for (const auto& [run, h] : a) EXPECT_EQ(testing::first_difference(h, b.at(run)), "") << "run " << run;
}

}  // namespace
}  // namespace seedline::runner
