// Evolution works: on a fixed seed the best CartPole fitness improves over the generations.
#include <gtest/gtest.h>

#include <atomic>

#include "evolve/experiment.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

constexpr const char* kExperiment = R"({
  "name": "cartpole-learns", "seed": 2024, "trials": 1,
  "task": {"type": "cartpole", "episodes": 2, "max_steps": 500},
  "network": [{"type": "dense", "out": 8, "activation": "tanh"}, {"type": "dense", "out": 2}],
  "ga": {"population": 48, "truncation": 8, "elites": 1, "generations": 12, "mutation_rate": 0.05},
  "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})";

TEST(CartpoleEvolution, BestFitnessImprovesOnAFixedSeed) {
  seedline::testing::TempDir dir;
  auto db = store::open_database(dir / "a.db", store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(kExperiment, "t.json"), "t.json");
  DaemonOptions options;
  options.threads = 2;
  options.once = true;
  std::atomic<bool> stop{false};
  ASSERT_EQ(run_daemon(db, options, stop).finished.size(), 1u);
  const auto gens = store::list_generations(db, 1);
  ASSERT_EQ(gens.size(), 12u);
  for (const auto& g : gens) std::printf("generation %2d best %7.2f mean %7.2f\n", g.generation, g.best, g.mean);
  // MEASURED FIGURES GO HERE
}

}  // namespace
}  // namespace seedline::runner
