// seedline evaluate: re-measuring stored individuals on fresh episodes.
#include "runner/reevaluate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <nlohmann/json.hpp>

#include "http/api.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "runner_testing.hpp"
#include "store/reevaluation_repo.hpp"
#include "store/run_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::TempDir;

// A database at `path` with `text` submitted and run to the end.
store::Database evolved(const std::filesystem::path& path, const std::string& text) {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(text, "t.json"), "t.json");
  DaemonOptions options;
  options.threads = 2;
  options.once = true;
  std::atomic<bool> stop{false};
  run_daemon(db, options, stop);
  return db;
}

int64_t final_best(store::Database& db, int64_t run) { return store::last_generation(db, run)->best_individual; }

TEST(Reevaluate, ADeterministicTaskReproducesTheStoredFitnessExactly) {
  TempDir dir;
  auto db = evolved(dir / "a.db", testing::kSphereExperiment);
  ThreadPool pool(2);
  for (const int64_t run : {1, 2}) {
    const int64_t id = final_best(db, run);
    const auto stored = store::get_individual(db, id).fitness;
    ASSERT_TRUE(stored);
    ReevaluationOptions options;
    options.episodes = 50;
    const auto r = reevaluate(db, id, options, pool);
    EXPECT_TRUE(r.deterministic);
    EXPECT_EQ(r.episodes, 1);  // scored once
    EXPECT_EQ(r.mean, *stored) << "individual " << id;
    EXPECT_TRUE(std::isnan(r.ci_low));
    ASSERT_TRUE(r.stored_id);
    const auto rows = store::reevaluations_of(db, id);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].mean, *stored);
    EXPECT_FALSE(rows[0].std);
    // The API's individual shows it.
    const auto j = http::individual_json(db, id);
    ASSERT_EQ(j["reevaluations"].size(), 1u);
    EXPECT_EQ(j["reevaluations"][0]["mean"].get<double>(), *stored);
  }
}

// The audit's case: `evaluate` on a language-model individual ran the deterministic task 100
// times, said "fresh episodes" and deterministic: false, and its mean of 100 copies was not
// exactly the stored fitness. Every deterministic task is evaluated once, says so, and gives
// the stored fitness bit for bit (the run computed it on the same kernels).
TEST(EvaluateCommand, DeterministicTasksAreEvaluatedOnceSaySoAndGiveTheStoredFitnessBitForBit) {
  TempDir dir;
  std::string rastrigin = testing::kSphereExperiment;
  rastrigin.replace(rastrigin.find("\"sphere\""), 8, "\"rastrigin\"");
  rastrigin.replace(rastrigin.find("sphere-resume"), 13, "rastrigin-once");
  std::string text;
  for (int s = 0; s < 12; ++s) {
    for (int t = 0; t < 6 + s % 5; ++t) {
      if (t > 0) text += ' ';
      text += std::to_string((s * 7 + t * 3) % 29);
    }
    text += "\n";
  }
  seedline::testing::write_file(dir / "data.tokens", text);
  const nlohmann::json lm = {
      {"name", "lm-once"}, {"seed", 5}, {"trials", 1},
      {"task", {{"type", "language_model"}, {"data", (dir / "data.tokens").string()}, {"sequences", 10}}},
      {"network", nlohmann::json::array({{{"type", "transformer"}, {"vocab", 32}, {"d_model", 8}, {"blocks", 1},
                                          {"heads", 2}, {"head_dim", 4}, {"ff", 16}}})},
      {"ga", {{"population", 8}, {"truncation", 3}, {"elites", 1}, {"generations", 3}, {"mutation_rate", 0.05},
              {"stages", nlohmann::json::array({{{"evaluations", 1}, {"keep", 3}}})}}},
      {"conditions", nlohmann::json::array({{{"name", "direct"}, {"representation", {{"type", "direct"}}}}})}};
  const std::string db = (dir / "a.db").string();
  seedline::testing::write_file(dir / "rastrigin.json", rastrigin);
  seedline::testing::write_file(dir / "lm.json", lm.dump());
  for (const char* file : {"rastrigin.json", "lm.json"}) {
    const auto r = seedline::testing::run_seedline({"--db", db, "run", (dir / file).string(), "--threads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Runs 1 and 2: rastrigin; run 3: the language model.
  for (const auto& [run, task] : {std::pair<int64_t, std::string>{1, "rastrigin"}, {2, "rastrigin"},
                                  {3, "language_model"}}) {
    SCOPED_TRACE(task + " run " + std::to_string(run));
    int64_t id = 0;
    double stored = 0;
    {
      auto rdb = store::open_database(dir / "a.db", store::OpenPurpose::kRead);
      id = final_best(rdb, run);
      stored = store::get_individual(rdb, id).fitness.value();
    }
    const auto r = seedline::testing::run_seedline(
        {"--db", db, "evaluate", std::to_string(id), "--episodes", "100", "--threads", "2", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["deterministic"], true);
    EXPECT_EQ(j["task"], task);
    EXPECT_EQ(j["episodes"], 1);
    ASSERT_EQ(j["rewards"].size(), 1u);
    // JSON numbers round-trip exactly: the same double, bit for bit.
    const double mean = j["mean"].get<double>();
    EXPECT_EQ(std::memcmp(&mean, &stored, sizeof mean), 0) << mean << " vs stored " << stored;
    EXPECT_TRUE(j["std"].is_null());
    const auto plain = seedline::testing::run_seedline({"--db", db, "evaluate", std::to_string(id)});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_NE(plain.out.find("deterministic task '" + task + "': evaluated once"), std::string::npos) << plain.out;
    EXPECT_EQ(plain.out.find("fresh episodes"), std::string::npos) << plain.out;
  }
  const auto best = seedline::testing::run_seedline({"--db", db, "evaluate", "--experiment", "rastrigin-once", "--best"});
  ASSERT_EQ(best.exit_code, 0) << best.err;
  EXPECT_NE(best.out.find("evaluated once (deterministic task 'rastrigin'"), std::string::npos) << best.out;
}

TEST(Reevaluate, CartpoleIsRepeatableBySeedAndDifferentSeedsAgreeWithinTheirIntervals) {
  TempDir dir;
  auto db = evolved(dir / "a.db", testing::kCartpoleExperiment);
  ThreadPool pool(2);
  const int64_t id = final_best(db, 1);
  ReevaluationOptions options;
  options.episodes = 100;
  options.seed = 1;
  const auto a = reevaluate(db, id, options, pool);
  const auto b = reevaluate(db, id, options, pool);
  EXPECT_FALSE(a.deterministic);
  EXPECT_EQ(a.episodes, 100);
  EXPECT_EQ(a.rewards, b.rewards);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.ci_low, b.ci_low);
  options.seed = 2;
  const auto c = reevaluate(db, id, options, pool);
  EXPECT_LE(a.ci_low, c.ci_high);   // the two 95% intervals overlap
  EXPECT_LE(c.ci_low, a.ci_high);
  EXPECT_LE(a.ci_low, a.mean);
  EXPECT_GE(a.ci_high, a.mean);
  EXPECT_GT(a.steps, 0);
  EXPECT_EQ(store::reevaluations_of(db, id).size(), 3u);
  // The seeds come from the re-evaluation stream, never the training episodes'.
  EXPECT_NE(reevaluation_episode_seed(1, 0), reevaluation_episode_seed(2, 0));
  EXPECT_NE(reevaluation_episode_seed(1, 0), reevaluation_episode_seed(1, 1));
}

TEST(Reevaluate, EveryRunsFinalBestIsComparedByCondition) {
  TempDir dir;
  auto db = evolved(dir / "a.db", testing::kSphereExperiment);
  ThreadPool pool(1);
  ReevaluationOptions options;
  options.episodes = 3;
  const auto e = reevaluate_experiment(db, *store::find_experiment(db, 1), options, pool);
  ASSERT_EQ(e.runs.size(), 2u);
  ASSERT_EQ(e.comparison.groups.size(), 2u);
  EXPECT_EQ(e.comparison.groups[0].name, "factorized");
  EXPECT_EQ(e.comparison.groups[0].mean_ci.mean, e.runs[0].result.mean);
  EXPECT_EQ(e.runs[0].result.individual, final_best(db, e.runs[0].run.id));
  const auto j = to_json(e, options);
  EXPECT_EQ(j["runs"].size(), 2u);
  EXPECT_TRUE(j["comparison"].contains("kruskal"));
}

TEST(EvaluateCommand, AnExperimentOfOneConditionIsReMeasuredWithoutAComparison) {
  // The README's `evaluate --experiment deep-ga --best` (one condition) failed with "comparing
  // groups needs at least 2 groups"; found by the README tour test.
  TempDir dir;
  { auto db = evolved(dir / "a.db", testing::kCartpoleExperiment); }
  const std::string db = (dir / "a.db").string();
  const auto text = seedline::testing::run_seedline(
      {"--db", db, "evaluate", "--experiment", "cartpole-resume", "--best", "--episodes", "3"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("one condition: no comparison"), std::string::npos) << text.out;
  const auto json = seedline::testing::run_seedline(
      {"--db", db, "evaluate", "--experiment", "cartpole-resume", "--best", "--episodes", "3", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["runs"].size(), 2u);
  EXPECT_TRUE(j["comparison"].is_null());
}

TEST(EvaluateCommand, PrintsJsonAndRefusesAmbiguousArguments) {
  TempDir dir;
  { auto db = evolved(dir / "a.db", testing::kCartpoleExperiment); }
  const std::string db = (dir / "a.db").string();
  int64_t id = 0;
  {
    auto rdb = store::open_database(dir / "a.db", store::OpenPurpose::kRead);
    id = final_best(rdb, 2);
  }
  const auto r = seedline::testing::run_seedline(
      {"--db", db, "evaluate", std::to_string(id), "--episodes", "20", "--seed", "5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["individual"], id);
  EXPECT_EQ(j["episodes"], 20);
  EXPECT_EQ(j["seed"], "5");
  EXPECT_EQ(j["rewards"].size(), 20u);
  const auto text = seedline::testing::run_seedline({"--db", db, "evaluate", std::to_string(id), "--episodes", "20"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("re-measured on 20 fresh episodes"), std::string::npos) << text.out;
  EXPECT_EQ(seedline::testing::run_seedline({"--db", db, "evaluate", "1", "--experiment", "x", "--best"}).exit_code, 2);
  EXPECT_EQ(seedline::testing::run_seedline({"--db", db, "evaluate", "--experiment", "1"}).exit_code, 2);
  EXPECT_EQ(seedline::testing::run_seedline({"--db", db, "evaluate", "--episodes", "0", "1"}).exit_code, 2);
  const auto missing = seedline::testing::run_seedline({"--db", db, "evaluate", "999999"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("999999"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace seedline::runner
