// The mujoco humanoid through the runner: GA (direct, factorized, lora) and EGGROLL runs give
// the same history on 1, 2 and 3 threads and after SIGKILLs at chosen moments, the network's
// input and output widths come from the task, and `seedline evaluate` re-measures a run's best.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>

#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "mujoco_testing.hpp"
#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "tasks/mujoco_task.hpp"

namespace seedline::runner {
namespace {

using testing::kHumanoidExperiment;

using seedline::testing::run_seedline;
using seedline::testing::TempDir;

store::Database submitted(const std::filesystem::path& path) {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(kHumanoidExperiment, "humanoid.json"), "humanoid.json");
  return db;
}

void run_all(store::Database& db, int threads) {
  DaemonOptions options;
  options.threads = threads;
  options.once = true;
  std::atomic<bool> stop{false};
  run_daemon(db, options, stop);
}

void expect_same(const std::map<int64_t, testing::History>& a, const std::map<int64_t, testing::History>& b,
                 const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [run, h] : a) {
    EXPECT_EQ(h.state, "finished") << what << " run " << run;
    ASSERT_TRUE(b.count(run)) << what << " run " << run;
    EXPECT_EQ(testing::first_difference(h, b.at(run)), "") << what << " run " << run;
  }
}

TEST(MujocoRun, GaAndEggrollRunsGiveTheSameHistoryOnOneTwoAndThreeThreads) {
  if (!tasks::mujoco_built()) GTEST_SKIP() << "built without MuJoCo";
  TempDir dir;
  std::map<int, std::map<int64_t, testing::History>> histories;
  for (const int threads : {1, 2, 3}) {
    // (std::to_string(threads) + ".db": "t" + ... trips GCC 12's -Wrestrict false positive.)
    const auto path = dir / (std::to_string(threads) + "-threads.db");
    {
      auto db = submitted(path);
      run_all(db, threads);
    }
    histories[threads] = testing::read_histories(path);
  }
  ASSERT_EQ(histories[1].size(), 3u);
  for (const auto& [run, h] : histories[1]) {
    ASSERT_FALSE(h.generations.empty()) << "run " << run;
    // Early termination shows in the steps: fewer than max_steps x evaluations when one fell.
    EXPECT_GT(h.generations.front().steps, 0);
    EXPECT_TRUE(std::isfinite(h.generations.back().best));
  }
  expect_same(histories[1], histories[2], "2 threads");
  expect_same(histories[1], histories[3], "3 threads");
}

TEST(MujocoRun, RunsKilledMidEvaluationAndMidCommitResumeToTheSameHistory) {
  if (!tasks::mujoco_built()) GTEST_SKIP() << "built without MuJoCo";
  TempDir dir;
  const auto reference = dir / "reference.db", crashed = dir / "crashed.db";
  { submitted(reference); }
  { submitted(crashed); }
  ASSERT_EQ(run_seedline({"--db", reference.string(), "daemon", "--once", "--threads", "1"}).exit_code, 0);
  for (const std::string point : {"evaluate:1", "commit:2", "evaluate:2"}) {
    const auto r = run_seedline({"--db", crashed.string(), "daemon", "--once", "--threads", "2", "--stale-after", "0.3"},
                                "", {}, {"SEEDLINE_CRASH_AT=" + point});
    EXPECT_EQ(r.signal, SIGKILL) << point << " did not fire; stderr: " << r.err;
    testing::sleep_seconds(0.5);
  }
  const auto r = run_seedline({"--db", crashed.string(), "daemon", "--once", "--threads", "3", "--stale-after", "0.3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same(testing::read_histories(reference), testing::read_histories(crashed), "resumed");
}

TEST(MujocoRun, EvaluateReMeasuresTheBestOnFreshEpisodes) {
  if (!tasks::mujoco_built()) GTEST_SKIP() << "built without MuJoCo";
  TempDir dir;
  const auto path = dir / "a.db";
  {
    auto db = submitted(path);
    run_all(db, 2);
  }
  const auto a = run_seedline({"--db", path.string(), "evaluate", "--experiment", "humanoid-tiny", "--best",
                               "--episodes", "3", "--seed", "4", "--json"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto b = run_seedline({"--db", path.string(), "evaluate", "--experiment", "humanoid-tiny", "--best",
                               "--episodes", "3", "--seed", "4", "--json", "--threads", "1"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  EXPECT_FALSE(ja.dump().empty());
  // The same seed on another thread count: the same numbers (timings aside).
  const auto strip = [](nlohmann::json j) {
    std::function<void(nlohmann::json&)> drop = [&](nlohmann::json& v) {
      if (v.is_object()) {
        for (const char* k : {"seconds", "wall_seconds", "id", "reevaluation_id", "stored_id"}) v.erase(k);
        for (auto& [k, x] : v.items()) drop(x);
      } else if (v.is_array()) {
        for (auto& x : v) drop(x);
      }
    };
    drop(j);
    return j;
  };
  EXPECT_EQ(strip(ja), strip(jb)) << a.out << "\n" << b.out;
  EXPECT_NE(a.out.find("\"mean\""), std::string::npos) << a.out;
}

// examples/humanoid.json passes submission's checks: the widths come from the task, the
// resolved task records them, and every condition's network runs in process.
TEST(MujocoRun, TheHumanoidExamplePassesSubmission) {
  if (!tasks::mujoco_built()) GTEST_SKIP() << "built without MuJoCo";
  auto spec = read_experiment_file(seedline::testing::source_dir() / "examples" / "humanoid.json");
  check_experiment(spec, "examples/humanoid.json");
  ASSERT_EQ(spec.conditions.size(), 3u);
  for (const auto& c : spec.conditions) {
    EXPECT_EQ(c.task.at("observation_size"), 53) << c.name;
    EXPECT_EQ(c.task.at("actions"), 21) << c.name;
    EXPECT_EQ(c.task.at("max_steps"), 1000) << c.name;
  }
}

// lora fine-tunes an exported humanoid policy: generation 0 is the base file, whose network
// plays the same episodes as the run it came from.
TEST(MujocoRun, LoraFineTunesAnExportedHumanoidPolicy) {
  if (!tasks::mujoco_built()) GTEST_SKIP() << "built without MuJoCo";
  TempDir dir;
  const auto path = dir / "a.db";
  {
    auto db = submitted(path);
    run_all(db, 2);
  }
  const auto status = run_seedline({"--db", path.string(), "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const int64_t best = nlohmann::json::parse(status.out)["runs"][0]["best_individual"].get<int64_t>();
  const auto base = dir / "base.safetensors";
  const auto exported = run_seedline({"--db", path.string(), "genome", std::to_string(best), "--phenotype", "--out",
                                      base.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::string spec = kHumanoidExperiment;
  spec.replace(spec.find("\"humanoid-tiny\""), 15, "\"humanoid-lora\"");
  const auto conditions = spec.find("\"conditions\"");
  spec = spec.substr(0, conditions) + "\"init\": {\"from\": \"" + base.string() +
         "\"}, \"conditions\": [{\"name\": \"lora\", \"representation\": {\"type\": \"lora\", \"rank\": 1}}]}";
  seedline::testing::write_file(dir / "lora.json", spec);
  const auto run = run_seedline({"--db", (dir / "lora.db").string(), "run", (dir / "lora.json").string(), "--threads", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto h = testing::read_histories(dir / "lora.db");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->second.state, "finished");
  EXPECT_EQ(h.begin()->second.generations.size(), 3u);
  // The genotype holds only A and B: 1 x (53 + 8) + 1 x (8 + 21) values.
  const auto inspect = run_seedline({"inspect", (dir / "lora.json").string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("90 genotype"), std::string::npos) << inspect.out;
}

}  // namespace
}  // namespace seedline::runner
