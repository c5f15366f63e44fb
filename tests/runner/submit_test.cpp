// Submitting experiments (library and CLI) and `seedline status`.
#include "runner/submit.hpp"

#include <gtest/gtest.h>

#include "evolve/seeds.hpp"
#include "genome/run_genome.hpp"
#include "kernels/version.hpp"
#include "noise/noise.hpp"
#include "runner_testing.hpp"
#include "store/info.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

TEST(Submit, StoresTheExperimentItsResolvedConditionsAndOneQueuedRunPerTrial) {
  TempDir dir;
  write_file(dir / "c.json", testing::kCartpoleExperiment);
  auto db = store::open_database(dir / "a.db", store::OpenPurpose::kCreate);
  const auto s = submit_file(db, dir / "c.json");
  EXPECT_EQ(s.name, "cartpole-resume");
  EXPECT_EQ(s.conditions, std::vector<std::string>{"direct"});
  ASSERT_EQ(s.runs.size(), 2u);
  const auto conditions = store::list_conditions(db, s.experiment_id);
  ASSERT_EQ(conditions.size(), 1u);
  // The task is stored with its defaults filled in, so later default changes cannot alter it.
  const auto config = nlohmann::json::parse(conditions[0].config);
  EXPECT_EQ(config["task"], nlohmann::json::parse(R"({"type": "cartpole", "episodes": 1, "max_steps": 120})"));
  EXPECT_EQ(config["ga"]["population"], 12);
  const auto runs = store::list_runs(db, s.experiment_id);
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(runs[t].trial, t);
    EXPECT_EQ(runs[t].seed, evolve::run_seed(3, 0, t));
    EXPECT_EQ(runs[t].noise_version, noise::kNewestVersion);
    EXPECT_EQ(runs[t].kernel_version, kernels::kNewestVersion);
    EXPECT_EQ(runs[t].state, store::RunState::kQueued);
  }
}

// The genome of a stored run carries the run's kernel version to the networks it develops: a
// new run's 2, a row of an older database's 1, and an unknown version is refused.
TEST(Submit, TheRunsGenomeCarriesItsStoredKernelVersion) {
  TempDir dir;
  write_file(dir / "s.json", testing::kSphereExperiment);
  auto db = store::open_database(dir / "s.db", store::OpenPurpose::kCreate);
  const auto s = submit_file(db, dir / "s.json");
  ASSERT_EQ(s.runs.size(), 2u);
  EXPECT_EQ(genome::run_model(db, s.runs[0]).genome.kernel_version(), kernels::kNewestVersion);
  db.exec("UPDATE runs SET kernel_version = 1 WHERE id = " + std::to_string(s.runs[0]));
  EXPECT_EQ(genome::run_model(db, s.runs[0]).genome.kernel_version(), 1);
  db.exec("UPDATE runs SET kernel_version = 4 WHERE id = " + std::to_string(s.runs[1]));
  try {
    genome::run_model(db, s.runs[1]);
    FAIL() << "a run of kernel version 4 was built";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnimplemented);
    EXPECT_NE(std::string(e.what()).find("kernel version 4"), std::string::npos) << e.what();
  }
}

TEST(Submit, ErrorsNameTheFileAndTheFieldAndWriteNothing) {
  struct Case {
    const char* name;
    std::string text;
    std::string expected;  // part of the message after "<file>: "
  };
  std::string bad_population = testing::kSphereExperiment;
  bad_population.replace(bad_population.find("\"population\": 16"), 16, "\"population\": 1");
  std::string bad_condition = testing::kSphereExperiment;
  bad_condition.replace(bad_condition.find("\"rank\": 2"), 9, "\"rank\": 0");
  std::string bad_task = testing::kCartpoleExperiment;
  bad_task.replace(bad_task.find("\"max_steps\""), 11, "\"max_stepz\"");
  const std::vector<Case> cases = {
      {"ga field", bad_population, "ga.population"},
      {"representation", bad_condition, "rank"},
      {"task field", bad_task, "task.max_stepz"},
      {"unknown top-level field", R"({"name": "x", "trails": 3})", "trails"},
      {"not json", "{\"name\": ", "not valid JSON"},
      // QA: the next four were accepted and only failed in the daemon ("build_mlp: only an
      // architecture of dense layers runs as an MLP", "mlp forward: output has 2 values,
      // expected 3", std::bad_alloc).
      {"conv on cartpole",
       R"({"network": [{"type": "conv", "out": 4, "kernel": 3}, {"type": "dense"}]})",
       "network[0].type: task 'cartpole' runs the network as an MLP, which takes only dense layers (got 'conv')"},
      {"embedding on cartpole", R"({"network": [{"type": "embedding", "vocab": 4, "dim": 3}, {"type": "dense"}]})",
       "network[0].type: task 'cartpole' runs the network as an MLP"},
      {"output width is not the action size", R"({"network": [{"type": "dense", "out": 3}]})",
       "network[0].out: must equal task 'cartpole''s action size 2 (got 3)"},
      // Members are streamed, so the population no longer counts; 2 x 24 parents of 10^8
      // float32 values (19 GiB) still do not fit.
      {"10,000-wide network with 24 parents",
       R"({"network": [{"type": "dense", "out": 10000}, {"type": "dense", "out": 10000}, {"type": "dense"}],
           "ga": {"truncation": 24}})",
       "more than the limit of 16 GiB"},
  };
  TempDir dir;
  auto db = store::open_database(dir / "a.db", store::OpenPurpose::kCreate);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto file = dir / "bad.json";
    write_file(file, c.text);
    try {
      submit_file(db, file);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(file.string() + ": ", 0), 0u) << what;
      EXPECT_NE(what.find(c.expected), std::string::npos) << what;
    }
    EXPECT_EQ(store::database_info(db).experiments, 0);
    EXPECT_EQ(store::database_info(db).runs, 0);
  }
  // QA: /dev/zero was read without end until the process was killed; a directory was
  // reported as "not valid JSON". Only regular files are read, their size from fstat.
  const auto big = dir / "big.json";
  write_file(big, "{}");
  std::filesystem::resize_file(big, (int64_t{1} << 20) + 1);
  const std::vector<std::pair<std::filesystem::path, std::string>> unreadable = {
      {"/dev/zero", "/dev/zero: is a character device, not an experiment file"},
      {dir.path(), dir.path().string() + ": is a directory, not an experiment file"},
      {big, big.string() + ": 1048577 bytes, larger than 1 MiB"},
  };
  for (const auto& [path, message] : unreadable) {
    SCOPED_TRACE(path.string());
    try {
      submit_file(db, path);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
  try {
    submit_file(db, dir / "missing.json");
    ADD_FAILURE() << "accepted a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("missing.json"), std::string::npos);
  }
}

// QA: `submit`/`run` opened (and so created and initialized) the database before reading the
// file, so a typo in the file left a new empty seedline.db behind, or initialized an empty file.
TEST(SubmitCli, ABadFileCreatesNoDatabase) {
  TempDir dir;
  write_file(dir / "bad.json", R"({"network": [{"type": "dense", "out": 3}]})");
  write_file(dir / "empty.db", "");
  for (const char* command : {"submit", "run"}) {
    for (const char* db : {"new.db", "empty.db"}) {
      SCOPED_TRACE(std::string(command) + " " + db);
      const auto r = run_seedline({"--db", (dir / db).string(), command, (dir / "bad.json").string()});
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_NE(r.err.find("network[0].out"), std::string::npos) << r.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "new.db"));
    EXPECT_EQ(std::filesystem::file_size(dir / "empty.db"), 0u);
  }
}

TEST(SubmitCli, PrintsIdsAndStatusJsonHasTheDocumentedShape) {
  TempDir dir;
  write_file(dir / "s.json", testing::kSphereExperiment);
  const std::string db = (dir / "a.db").string();
  auto r = run_seedline({"--db", db, "submit", (dir / "s.json").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto submitted = nlohmann::json::parse(r.out);
  EXPECT_EQ(submitted["experiment"], 1);
  EXPECT_EQ(submitted["name"], "sphere-resume");
  EXPECT_EQ(submitted["runs"], nlohmann::json::parse("[1, 2]"));

  r = run_seedline({"--db", db, "status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto status = nlohmann::json::parse(r.out);
  ASSERT_EQ(status["runs"].size(), 2u);
  const auto& queued = status["runs"][0];
  const std::set<std::string> documented = {"id", "experiment", "condition", "trial", "state", "generation",
                                            "generations", "best_fitness", "best_individual"};
  for (const auto& key : documented) EXPECT_TRUE(queued.contains(key)) << key;
  EXPECT_EQ(queued["id"], 1);
  EXPECT_EQ(queued["experiment"], 1);
  EXPECT_EQ(queued["condition"], "factorized");
  EXPECT_EQ(queued["trial"], 0);
  EXPECT_EQ(queued["state"], "queued");
  EXPECT_EQ(queued["generation"], -1);
  EXPECT_EQ(queued["generations"], 8);
  EXPECT_TRUE(queued["best_fitness"].is_null());
  EXPECT_TRUE(queued["best_individual"].is_null());

  r = run_seedline({"--db", db, "daemon", "--once", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_seedline({"--db", db, "status", "--experiment", "sphere-resume", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  status = nlohmann::json::parse(r.out);
  for (const auto& run : status["runs"]) {
    EXPECT_EQ(run["state"], "finished");
    EXPECT_EQ(run["generation"], 7);
    EXPECT_TRUE(run["best_fitness"].is_number());
    EXPECT_TRUE(run["best_individual"].is_number_integer());
  }
  r = run_seedline({"--db", db, "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 runs: 2 finished"), std::string::npos) << r.out;

  r = run_seedline({"--db", db, "status", "--experiment", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no experiment named 'nope'"), std::string::npos) << r.err;
  r = run_seedline({"--db", db, "submit", (dir / "absent.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("absent.json"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace seedline::runner
