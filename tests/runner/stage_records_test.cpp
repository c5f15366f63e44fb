// Per-stage records (generation_stages): what the runner stores per generation and stage
// matches what the run did, sums to the generation row, and serves `seedline status
// --stages`, `seedline compare --metric steps --stage S` (CLI and HTTP) and the curves.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>

#include "evolve/ga.hpp"
#include "http/router.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "runner_testing.hpp"
#include "stats/experiment_compare.hpp"
#include "stats/experiment_curves.hpp"
#include "store/stage_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using nlohmann::json;
using seedline::testing::TempDir;

// A task whose episode length depends on the episode seed alone: 1 + seed % 7 steps, so the
// steps every stage must record follow from the seeds, whatever the networks do. Rewards are
// the first network output, so selection still has something to rank.
class SeedLengthTask final : public tasks::Task {
 public:
  SeedLengthTask() : Task(1) {}
  std::string name() const override { return "seed-length"; }
  int observation_size() const override { return 4; }
  int action_size() const override { return 2; }
  tasks::ActionKind action_kind() const override { return tasks::ActionKind::kDiscrete; }
  bool scores_phenotype() const override { return false; }
  nlohmann::json resolved_spec() const override { return {{"type", "seed-length"}}; }
  tasks::EpisodeResult run_episode(tasks::Policy& policy, uint64_t episode_seed) const override {
    const float obs[4] = {0.5f, -0.25f, 1.0f, 0.0f};
    float out[2];
    policy.act(obs, out);
    return {out[0], static_cast<int64_t>(1 + episode_seed % 7)};
  }
  static int64_t steps(uint64_t episode_seed) { return static_cast<int64_t>(1 + episode_seed % 7); }
};

// CartPole-shaped (4 observations, 2 actions) so submission accepts it; two conditions of two
// trials, three stages of 1, 2 and 3 episodes.
const char* kStaged = R"({
  "name": "staged", "seed": 5, "trials": 2,
  "task": {"type": "cartpole", "episodes": 1, "max_steps": 60},
  "network": [{"type": "dense", "out": 4, "activation": "tanh"}, {"type": "dense", "out": 2}],
  "ga": {"population": 10, "elites": 1, "generations": 4, "mutation_rate": 0.05,
         "stages": [{"evaluations": 1, "keep": 6}, {"evaluations": 2, "keep": 4}, {"evaluations": 3, "keep": 2}]},
  "conditions": [{"name": "direct", "representation": {"type": "direct"}},
                 {"name": "factorized", "representation": {"type": "factorized", "rank": 1}}]})";

constexpr int kMembers[] = {10, 6, 4};   // members evaluated in stages 0, 1, 2
constexpr int kEpisodes[] = {1, 2, 3};

struct Finished {
  TempDir dir;
  std::filesystem::path path = dir / "staged.db";
};

void run_staged(Finished& f, bool seed_length_task) {
  auto db = store::open_database(f.path, store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(kStaged, "staged.json"), "staged.json");
  DaemonOptions options;
  options.once = true;
  options.threads = 2;
  if (seed_length_task) {
    options.make_task = [](const nlohmann::json&) -> std::unique_ptr<tasks::Task> {
      return std::make_unique<SeedLengthTask>();
    };
  }
  std::atomic<bool> stop{false};
  const auto report = run_daemon(db, options, stop);
  ASSERT_EQ(report.finished.size(), 4u);
}

TEST(StageRecords, MatchWhatEachStageRan) {
  Finished f;
  run_staged(f, true);
  auto db = store::open_database(f.path, store::OpenPurpose::kRead);
  for (const auto& run : store::list_runs(db)) {
    SCOPED_TRACE("run " + std::to_string(run.id));
    const auto gens = store::list_generations(db, run.id);
    const auto stages = store::list_stages(db, run.id);
    ASSERT_EQ(gens.size(), 4u);
    ASSERT_EQ(stages.size(), gens.size() * 3);
    for (const auto& g : gens) {
      int64_t evaluations = 0, steps = 0;
      double seconds = 0;
      for (int s = 0; s < 3; ++s) {
        const auto& row = stages[static_cast<size_t>(g.generation * 3 + s)];
        ASSERT_EQ(row.generation, g.generation);
        ASSERT_EQ(row.stage, s);
        // Every member of the stage met the stage's episodes, whose lengths follow from the seeds.
        int64_t expected_steps = 0;
        for (int e = 0; e < kEpisodes[s]; ++e) {
          expected_steps += SeedLengthTask::steps(evolve::episode_seed(run.seed, g.generation, s, e));
        }
        EXPECT_EQ(row.record.evaluations, kMembers[s] * kEpisodes[s]) << "stage " << s;
        EXPECT_EQ(row.record.steps, kMembers[s] * expected_steps) << "stage " << s;
        EXPECT_GE(row.record.seconds, 0.0);
        evaluations += row.record.evaluations;
        steps += row.record.steps;
        seconds += row.record.seconds;
      }
      EXPECT_EQ(evaluations, g.evaluations) << "generation " << g.generation;
      EXPECT_EQ(steps, g.steps) << "generation " << g.generation;
      EXPECT_LE(seconds, g.eval_seconds + 1e-6) << "generation " << g.generation;
    }
  }
}

TEST(StageRecords, StatusShowsPerStageTotals) {
  Finished f;
  run_staged(f, false);
  const auto r = seedline::testing::run_seedline({"--db", f.path.string(), "status", "--stages", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = json::parse(r.out);
  auto db = store::open_database(f.path, store::OpenPurpose::kRead);
  ASSERT_EQ(j["runs"].size(), 4u);
  for (const auto& run : j["runs"]) {
    SCOPED_TRACE(run.dump());
    ASSERT_EQ(run["stages"].size(), 3u);
    int64_t steps = 0, evaluations = 0;
    for (const auto& g : store::list_generations(db, run["id"].get<int64_t>())) {
      steps += g.steps;
      evaluations += g.evaluations;
    }
    int64_t stage_steps = 0, stage_evaluations = 0;
    for (int s = 0; s < 3; ++s) {
      EXPECT_EQ(run["stages"][s]["stage"], s);
      EXPECT_EQ(run["stages"][s]["generations"], 4);
      EXPECT_EQ(run["stages"][s]["evaluations"], 4 * kMembers[s] * kEpisodes[s]);
      stage_steps += run["stages"][s]["steps"].get<int64_t>();
      stage_evaluations += run["stages"][s]["evaluations"].get<int64_t>();
    }
    EXPECT_EQ(stage_steps, steps);
    EXPECT_EQ(stage_evaluations, evaluations);
  }
  const auto text = seedline::testing::run_seedline({"--db", f.path.string(), "status", "--stages"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("per stage, summed over committed generations"), std::string::npos) << text.out;
  // Without --stages the JSON stays as DESIGN fixes it.
  const auto plain = json::parse(seedline::testing::run_seedline({"--db", f.path.string(), "status", "--json"}).out);
  EXPECT_FALSE(plain["runs"][0].contains("stages"));
}

// GET request through the router (the handler the server runs), on a read-only connection.
json api_get(const std::filesystem::path& path, const std::string& target,
             http::beast_http::status expected = http::beast_http::status::ok) {
  auto db = store::open_database(path, store::OpenPurpose::kRead);
  const std::string token;
  const http::StaticFiles web{std::span<const http::EmbeddedFile>()};
  http::RouterContext ctx{db, token, web, nullptr};
  http::Request req{http::beast_http::verb::get, target, 11};
  req.set(http::beast_http::field::host, "127.0.0.1");
  const auto res = http::handle_request(req, ctx);
  EXPECT_EQ(res.result(), expected) << target << ": " << res.body();
  return json::parse(res.body());
}

TEST(StageRecords, RunGenerationsApiCarriesTheStages) {
  Finished f;
  run_staged(f, false);
  auto db = store::open_database(f.path, store::OpenPurpose::kRead);
  for (const auto& run : store::list_runs(db)) {
    const auto j = api_get(f.path, "/api/runs/" + std::to_string(run.id) + "/generations");
    const auto rows = store::list_stages(db, run.id);
    ASSERT_EQ(j["generations"].size(), 4u);
    size_t k = 0;
    for (const auto& g : j["generations"]) {
      SCOPED_TRACE("run " + std::to_string(run.id) + " generation " + g["generation"].dump());
      ASSERT_EQ(g["stages"].size(), 3u);
      int64_t evaluations = 0, steps = 0;
      for (const auto& st : g["stages"]) {
        const auto& row = rows.at(k++);
        EXPECT_EQ(st["stage"], row.stage);
        EXPECT_EQ(st["evaluations"], row.record.evaluations);
        EXPECT_EQ(st["steps"], row.record.steps);
        EXPECT_EQ(st["seconds"], row.record.seconds);
        evaluations += st["evaluations"].get<int64_t>();
        steps += st["steps"].get<int64_t>();
      }
      EXPECT_EQ(evaluations, g["evaluations"].get<int64_t>());
      EXPECT_EQ(steps, g["steps"].get<int64_t>());
    }
  }
}

// Each run's steps of stage 1 at generation `g` (or summed over 0..g), straight from the rows.
std::map<int64_t, double> expected_steps(const std::filesystem::path& path, int stage, int g, bool cumulative) {
  auto db = store::open_database(path, store::OpenPurpose::kRead);
  std::map<int64_t, double> out;
  for (const auto& run : store::list_runs(db)) {
    for (const auto& row : store::list_stages(db, run.id)) {
      if (row.stage == stage && (row.generation == g || (cumulative && row.generation < g))) {
        out[run.id] += static_cast<double>(row.record.steps);
      }
    }
  }
  return out;
}

void expect_values(const json& comparison, const std::map<int64_t, double>& expected) {
  size_t seen = 0;
  for (const auto& group : comparison["groups"]) {
    for (size_t i = 0; i < group["runs"].size(); ++i) {
      const int64_t run = group["runs"][i].get<int64_t>();
      EXPECT_EQ(group["values"][i].get<double>(), expected.at(run)) << "run " << run;
      ++seen;
    }
  }
  EXPECT_EQ(seen, expected.size());
}

TEST(StageRecords, CompareOnStepsOfOneStageThroughCliAndHttp) {
  Finished f;
  run_staged(f, false);
  for (const bool cumulative : {false, true}) {
    SCOPED_TRACE(cumulative ? "cumulative" : "per generation");
    const auto expected = expected_steps(f.path, 1, 2, cumulative);
    std::vector<std::string> args = {"--db", f.path.string(), "compare", "--experiment", "staged", "--metric",
                                     "steps", "--stage", "1", "--generation", "2", "--json"};
    if (cumulative) args.push_back("--cumulative");
    const auto r = seedline::testing::run_seedline(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto cli = json::parse(r.out);
    EXPECT_EQ(cli["metric"], "steps");
    EXPECT_EQ(cli["stage"], 1);
    EXPECT_EQ(cli["cumulative"], cumulative);
    expect_values(cli, expected);

    const auto api = api_get(f.path, std::string("/api/experiments/staged/compare?metric=steps&stage=1&generation=2") +
                                         (cumulative ? "&cumulative=true" : ""));
    EXPECT_EQ(api, cli);
  }
  // Without --stage the value is the generation row's (all stages).
  const auto all = seedline::testing::run_seedline({"--db", f.path.string(), "compare", "--experiment", "staged",
                                                   "--metric", "evaluations", "--generation", "0", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  for (const auto& group : json::parse(all.out)["groups"]) {
    for (const auto& v : group["values"]) EXPECT_EQ(v.get<double>(), 10 * 1 + 6 * 2 + 4 * 3);
  }
}

TEST(StageRecords, BadMetricSpecsAreRefusedNamingTheField) {
  Finished f;
  run_staged(f, false);
  const auto db_args = std::vector<std::string>{"--db", f.path.string(), "compare", "--experiment", "staged"};
  const auto with = [&](std::vector<std::string> extra) {
    auto args = db_args;
    args.insert(args.end(), extra.begin(), extra.end());
    return seedline::testing::run_seedline(args);
  };
  const auto fitness_stage = with({"--metric", "best", "--stage", "1"});
  EXPECT_EQ(fitness_stage.exit_code, 2);  // a usage error
  EXPECT_NE(fitness_stage.err.find("--stage: applies to the cost metrics"), std::string::npos) << fitness_stage.err;
  const auto missing = with({"--metric", "steps", "--stage", "3"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("has no per-stage record of stage 3"), std::string::npos) << missing.err;

  const auto bad = api_get(f.path, "/api/experiments/staged/curves?metric=mean&cumulative=true",
                           http::beast_http::status::bad_request);
  EXPECT_NE(bad.dump().find("cumulative: applies to the cost metrics"), std::string::npos) << bad.dump();
}

TEST(StageRecords, CurvesOfOneStagesStepsPerGeneration) {
  Finished f;
  run_staged(f, false);
  auto db = store::open_database(f.path, store::OpenPurpose::kRead);
  const auto curves = stats::experiment_curves(db, 1, stats::MetricSpec{stats::Metric::kSteps, 2, false, std::nullopt}, 100);
  ASSERT_EQ(curves.conditions.size(), 2u);
  for (const auto& c : curves.conditions) {
    ASSERT_EQ(c.generations, (std::vector<int>{0, 1, 2, 3}));
    for (const auto& series : c.runs) {
      const auto expected = [&] {
        std::vector<std::optional<double>> v;
        for (const auto& row : store::list_stages(db, series.run)) {
          if (row.stage == 2) v.push_back(static_cast<double>(row.record.steps));
        }
        return v;
      }();
      EXPECT_EQ(series.values, expected) << "run " << series.run;
    }
  }
}

}  // namespace
}  // namespace seedline::runner
