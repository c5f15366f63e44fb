// The `external` task wherever a built-in task goes (issue 20): `seedline evaluate` of an
// individual and `--best` start their own evaluator pool for the run's stored command; the
// named metrics an evaluator returns are stored per generation and member, exported, served
// and compared; the README's evaluator snippet runs as written from another folder (the
// Python client found without PYTHONPATH, the relative script resolved at submission and
// stored absolute), and `seedline run` prints the evaluator's identity.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "evaluator/process.hpp"
#include "evaluator_testing.hpp"
#include "evolve/ga.hpp"
#include "http/api.hpp"
#include "runner/reevaluate.hpp"
#include "stats/experiment_curves.hpp"
#include "store/evaluator_repo.hpp"
#include "store/experiment_repo.hpp"
#include "store/metric_repo.hpp"
#include "store/migrations.hpp"
#include "store/run_repo.hpp"
#include "support/temp_dir.hpp"
#include "tasks/external_task.hpp"
#include "util/error.hpp"

namespace seedline::evaluator {
namespace {

using nlohmann::json;
using seedline::testing::read_file;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;
using testing::wait_until_gone;

std::string marker(const TempDir& dir) { return (dir / "evaluators").string(); }

// The test evaluator's "ok" mode: reward = -norm2 + (seed % 1000) / 1000 with the metric
// norm2 = sum of the squared weights. Two conditions x two trials; stage 0 plays 2 episodes,
// stage 1 one more for the 2 survivors... of 4 kept.
json ok_experiment(const TempDir& dir) {
  json experiment = json::parse(R"({
    "name": "metrics", "seed": 21, "trials": 2,
    "network": [{"type": "dense", "out": 4, "activation": "relu"}, {"type": "dense", "out": 2}],
    "ga": {"population": 8, "elites": 1, "generations": 3, "mutation_rate": 0.05,
           "stages": [{"evaluations": 2, "keep": 4}, {"evaluations": 1, "keep": 2}]},
    "conditions": [{"name": "direct", "representation": {"type": "direct"}},
                   {"name": "factorized", "representation": {"type": "factorized", "rank": 1}}]})");
  experiment["task"] = {{"type", "external"}, {"workers", 2}, {"observation_shape", {3}}, {"actions", 2},
                        {"timeout", 30}, {"command", testing::fault_command("ok", marker(dir))}};
  return experiment;
}

void run_ok(const TempDir& dir, const std::filesystem::path& db) {
  write_file(dir / "metrics.json", ok_experiment(dir).dump());
  const auto r = run_seedline({"--db", db.string(), "run", (dir / "metrics.json").string(), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // `run` names the evaluator as `daemon` does (docs/evaluator-protocol.md, READY).
  EXPECT_NE(r.err.find("evaluator 'fault-evaluator' version '1.0' (protocol 1)"), std::string::npos) << r.err;
}

double seed_term(uint64_t seed) { return static_cast<double>(seed % 1000) / 1000.0; }

TEST(ExternalEdges, NamedMetricsAreStoredPerGenerationAndMemberAndAgreeWithTheFitness) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(run_ok(dir, dir / "m.db"));
  auto db = store::open_database(dir / "m.db", store::OpenPurpose::kRead);
  const auto runs = store::list_runs(db);
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& run : runs) {
    const auto generations = store::list_generations(db, run.id);
    const auto metrics = store::list_generation_metrics(db, run.id);
    ASSERT_EQ(generations.size(), 3u);
    ASSERT_EQ(metrics.size(), 3u) << "one name (norm2) a generation";
    for (size_t g = 0; g < 3; ++g) {
      const auto& m = metrics[g];
      EXPECT_EQ(m.name, "norm2");
      EXPECT_EQ(m.generation, static_cast<int>(g));
      ASSERT_EQ(m.member_values.size(), 8u);
      EXPECT_EQ(m.members, 8);
      double sum = 0;
      for (const double v : m.member_values) {
        EXPECT_GT(v, 0);
        sum += v;
      }
      ASSERT_TRUE(m.best && m.mean && m.min && m.max);
      EXPECT_DOUBLE_EQ(*m.mean, sum / 8);
      EXPECT_LE(*m.min, *m.best);
      EXPECT_LE(*m.best, *m.max);
      // The best member played stage 0's episodes 0 and 1 and stage 1's episode 0 (common
      // random numbers): its fitness is -norm2 plus the mean of the three seed terms.
      const int gi = static_cast<int>(g);
      const double c = (seed_term(evolve::episode_seed(run.seed, gi, 0, 0)) +
                        seed_term(evolve::episode_seed(run.seed, gi, 0, 1)) +
                        seed_term(evolve::episode_seed(run.seed, gi, 1, 0))) / 3;
      EXPECT_NEAR(generations[g].best, -*m.best + c, 1e-9) << "run " << run.id << " generation " << g;
    }
  }
  // Served: the run's series, and the names on the experiment.
  const auto served = http::run_metrics_json(db, runs.front().id, true);
  ASSERT_TRUE(served["metrics"].contains("norm2")) << served.dump();
  EXPECT_EQ(served["metrics"]["norm2"]["generations"], json::parse("[0, 1, 2]"));
  EXPECT_EQ(served["metrics"]["norm2"]["values"].size(), 3u);
  EXPECT_EQ(served["metrics"]["norm2"]["values"][0].size(), 8u);
  EXPECT_EQ(http::experiment_json(db, "metrics")["metric_names"], json::parse(R"(["norm2"])"));
  // Offered as curves: each run's point is its generation's best individual's value.
  stats::MetricSpec spec;
  stats::set_metric(spec, "norm2");
  const auto curves = stats::experiment_curves(db, 1, spec, 100);
  ASSERT_EQ(curves.conditions.size(), 2u);
  const auto& first = curves.conditions.front().runs.front();
  ASSERT_EQ(first.values.size(), 3u);
  EXPECT_EQ(*first.values[2], *store::list_generation_metrics(db, first.run).back().best);
  EXPECT_EQ(stats::to_json(curves)["metric"], "norm2");
  stats::set_metric(spec, "nosuch");
  try {
    stats::experiment_curves(db, 1, spec, 100);
    ADD_FAILURE() << "an unknown metric name draws curves";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown metric 'nosuch'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("norm2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(wait_until_gone(marker(dir), 5), std::vector<int>{});
}

TEST(ExternalEdges, ExportAndCompareTakeTheNamedMetrics) {
  TempDir dir;
  const auto db = dir / "m.db";
  ASSERT_NO_FATAL_FAILURE(run_ok(dir, db));
  const auto summary = run_seedline({"--db", db.string(), "export", "--experiment", "metrics", "--metrics"});
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  std::istringstream lines(summary.out);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header, "run,condition,trial,generation,metric,best,mean,min,max,members");
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    ++rows;
    EXPECT_NE(line.find(",norm2,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 4 * 3);
  const auto members =
      run_seedline({"--db", db.string(), "export", "--experiment", "metrics", "--metrics", "--members", "--format", "json"});
  ASSERT_EQ(members.exit_code, 0) << members.err;
  const auto table = json::parse(members.out);
  ASSERT_EQ(table.size(), 4u * 3u * 8u);
  EXPECT_EQ(table[0]["member"], 0);
  EXPECT_GT(table[0]["value"].get<double>(), 0);

  const auto compared =
      run_seedline({"--db", db.string(), "compare", "--experiment", "metrics", "--metric", "norm2", "--json"});
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  const auto j = json::parse(compared.out);
  EXPECT_EQ(j["metric"], "norm2");
  EXPECT_EQ(j["evaluator_metric"], true);
  EXPECT_EQ(j["generation"], 2);
  auto store_db = store::open_database(db, store::OpenPurpose::kRead);
  for (const auto& g : j["groups"]) {
    ASSERT_EQ(g["runs"].size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      const auto rows_of_run = store::list_generation_metrics(store_db, g["runs"][k].get<int64_t>(), false);
      EXPECT_EQ(g["values"][k].get<double>(), *rows_of_run.back().best);
    }
  }
  EXPECT_TRUE(j["kruskal"]["p"].is_number()) << j.dump();
  const auto text = run_seedline({"--db", db.string(), "compare", "--experiment", "metrics", "--metric", "norm2"});
  EXPECT_NE(text.out.find("evaluator metric 'norm2' of each run's best individual at generation 2"),
            std::string::npos)
      << text.out;
  // A name the evaluator never returned is a usage error naming the ones it did.
  const auto unknown = run_seedline({"--db", db.string(), "compare", "--experiment", "metrics", "--metric", "lives"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("'lives' is neither"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("(it returned 'norm2')"), std::string::npos) << unknown.err;
}

// Regression (issue 20, item 1): `evaluate` of an external task's individual exited 1 with
// "task 'external' runs its episodes in the evaluator processes, not in seedline".
TEST(ExternalEdges, EvaluateStartsTheRunsEvaluatorsAndMeasuresLikeABuiltInTask) {
  TempDir dir;
  const auto db = dir / "m.db";
  ASSERT_NO_FATAL_FAILURE(run_ok(dir, db));
  int64_t best = 0;
  double norm2 = 0;
  {
    auto d = store::open_database(db, store::OpenPurpose::kRead);
    best = store::list_generations(d, 1).back().best_individual;
    norm2 = *store::list_generation_metrics(d, 1).back().best;
  }
  const auto r =
      run_seedline({"--db", db.string(), "evaluate", std::to_string(best), "--episodes", "4", "--seed", "7", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = json::parse(r.out);
  EXPECT_EQ(j["deterministic"], false);
  EXPECT_EQ(j["evaluator"]["name"], "fault-evaluator");
  ASSERT_EQ(j["rewards"].size(), 4u);
  for (int e = 0; e < 4; ++e) {
    const uint64_t seed = runner::reevaluation_episode_seed(7, e);
    EXPECT_NEAR(j["rewards"][e].get<double>(), -norm2 + seed_term(seed), 1e-9) << "episode " << e;
  }
  EXPECT_EQ(j["steps"].get<int64_t>(), [&] {
    int64_t steps = 0;
    for (int e = 0; e < 4; ++e) steps += 1 + static_cast<int64_t>(runner::reevaluation_episode_seed(7, e) % 7);
    return steps;
  }());
  EXPECT_EQ(wait_until_gone(marker(dir), 5), std::vector<int>{});
  // The evaluator's named metric is kept with the re-evaluation (migration 0009): norm2 is the
  // same on every episode, so its mean is the generation's stored value.
  ASSERT_TRUE(j["metrics"].contains("norm2")) << j.dump();
  EXPECT_NEAR(j["metrics"]["norm2"]["mean"].get<double>(), norm2, 1e-12 * std::max(1.0, std::abs(norm2)));
  EXPECT_EQ(j["metrics"]["norm2"]["episodes"], 4);
  {
    auto d = store::open_database(db, store::OpenPurpose::kRead);
    const auto stored = store::reevaluations_of(d, best);
    ASSERT_EQ(stored.size(), 1u);
    ASSERT_EQ(stored[0].metrics.size(), 1u);
    EXPECT_EQ(stored[0].metrics[0].name, "norm2");
    EXPECT_EQ(stored[0].metrics[0].episodes, 4);
    EXPECT_EQ(*stored[0].metrics[0].mean, j["metrics"]["norm2"]["mean"].get<double>());
    const auto served = http::individual_json(d, best);
    EXPECT_EQ(served["reevaluations"][0]["metrics"]["norm2"]["episodes"], 4) << served.dump();
  }
  const auto text = run_seedline({"--db", db.string(), "evaluate", std::to_string(best), "--episodes", "2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("evaluator metrics (mean over the episodes that reported each): norm2 "), std::string::npos)
      << text.out;

  const auto all = run_seedline(
      {"--db", db.string(), "evaluate", "--experiment", "metrics", "--best", "--episodes", "2", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto e = json::parse(all.out);
  EXPECT_EQ(e["runs"].size(), 4u);
  for (const auto& run : e["runs"]) EXPECT_TRUE(run["mean"].is_number()) << run.dump();
  EXPECT_EQ(wait_until_gone(marker(dir), 5), std::vector<int>{});
}

// Pulls the fenced block of `lang` that follows `after` out of README.md.
std::string readme_block(const std::string& after, const std::string& lang) {
  const auto readme = read_file(seedline::testing::source_dir() / "README.md");
  const auto at = readme.find(after);
  if (at == std::string::npos) return "";
  const auto open = readme.find("```" + lang + "\n", at);
  if (open == std::string::npos) return "";
  const auto body = open + 4 + lang.size();
  return readme.substr(body, readme.find("```", body) - body);
}

// Regression (issue 20, item 3): the README's snippet failed outside the repository
// (`import seedline_evaluator`: nothing put python/ on the path) and used `hello` unset.
TEST(ExternalEdges, TheReadmeSnippetRunsAsWrittenFromAnotherFolder) {
  TempDir dir;
  const auto snippet = readme_block("**Bring your own environment.**", "python");
  ASSERT_FALSE(snippet.empty());
  const auto task_text = readme_block("**Bring your own environment.**", "jsonc");
  ASSERT_FALSE(task_text.empty());
  const auto folder = dir / "my-project";
  std::filesystem::create_directories(folder);
  write_file(folder / "my_env.py", snippet);
  json experiment = json::parse(R"({"name": "readme", "seed": 1, "trials": 1,
    "network": [{"type": "dense", "out": 3, "activation": "tanh"}, {"type": "dense", "out": 2}],
    "ga": {"population": 6, "generations": 2, "stages": [{"evaluations": 2, "keep": 2}]},
    "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})");
  experiment["task"] = json::parse("{" + task_text + "}")["task"];
  write_file(folder / "exp.json", experiment.dump());
  // From the project's folder, with a PYTHONPATH that does not hold the client, and the
  // Python that has numpy first on PATH ("python3" as written).
  const char* path = std::getenv("PATH");
  const std::vector<std::string> env = {"PYTHONPATH=/nonexistent/first",
                                        "PATH=/usr/bin:" + std::string(path != nullptr ? path : "")};
  const auto r = run_seedline({"--db", (dir / "r.db").string(), "run", "exp.json", "--threads", "1"}, "", folder, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("evaluator 'my-env' version '1.0'"), std::string::npos) << r.err;
  // The relative script was resolved against the current directory and stored absolute.
  auto db = store::open_database(dir / "r.db", store::OpenPurpose::kRead);
  const auto conditions = store::list_conditions(db, 1);
  ASSERT_EQ(conditions.size(), 1u);
  const auto command = json::parse(conditions.front().config)["task"]["command"];
  EXPECT_EQ(command, json::array({"python3", (folder / "my_env.py").lexically_normal().string()})) << command;
}

TEST(ExternalEdges, TheEvaluatorsPythonPathStartsWithTheClientFolderThenTheUsersValue) {
  TempDir dir;
  const auto client = python_client_dir();
  ASSERT_TRUE(client.has_value());
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(*client) / "seedline_evaluator.py"));
  // The evaluator reports its PYTHONPATH as its version, which the run records.
  write_file(dir / "env.py",
             "import os\nimport seedline_evaluator as se\n"
             "se.serve(lambda w, s: 0.0, name='path', version=os.environ['PYTHONPATH'])\n");
  json experiment = json::parse(R"({"name": "path", "seed": 1, "trials": 1,
    "network": [{"type": "dense", "in": 2, "out": 2}],
    "ga": {"population": 4, "generations": 1, "stages": [{"evaluations": 1, "keep": 2}]},
    "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})");
  experiment["task"] = {{"type", "external"}, {"command", {testing::python(), (dir / "env.py").string()}}};
  write_file(dir / "exp.json", experiment.dump());
  const auto r = run_seedline({"--db", (dir / "p.db").string(), "run", (dir / "exp.json").string()}, "", {},
                              {"PYTHONPATH=/users/own"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto db = store::open_database(dir / "p.db", store::OpenPurpose::kRead);
  const auto recorded = store::find_run_evaluator(db, 1, 0);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->version, *client + ":/users/own");
}

TEST(ExternalEdges, AbsoluteCommandResolvesOnlyPathsAgainstTheCurrentDirectory) {
  TempDir dir;
  write_file(dir / "env.py", "");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const auto resolved = tasks::absolute_command({"python3", "env.py", "0.5", "--level", "missing.py", "./run.sh"});
  const auto wrapper = tasks::absolute_command({"./run.sh", "env.py"});
  std::filesystem::current_path(cwd);
  const std::string base = std::filesystem::path(dir.path()).lexically_normal().string();
  EXPECT_EQ(resolved, (std::vector<std::string>{"python3", base + "/env.py", "0.5", "--level", "missing.py", "./run.sh"}));
  EXPECT_EQ(wrapper, (std::vector<std::string>{base + "/run.sh", base + "/env.py"}));
}

}  // namespace
}  // namespace seedline::evaluator
