// The `external` task end to end through the `seedline` executable: the Python sphere gives
// the built-in sphere's fitness bit for bit, the Python CartPole learns, a crashing
// evaluator fails its run with a message naming the individual, SIGTERM pauses a run and
// leaves no evaluator behind, SIGKILL of seedline takes its evaluators with it, a run
// killed at any moment resumes to the same lineage and history, a 1 MiB error is stored and
// shown cut, and `workers: 200` starts only the processes a stage has items for.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "evaluator/protocol.hpp"
#include "evaluator_testing.hpp"
#include "runner/runner_testing.hpp"
#include "store/evaluator_repo.hpp"
#include "store/run_repo.hpp"
#include "store/run_summary.hpp"
#include "support/temp_dir.hpp"

namespace seedline::evaluator {
namespace {

using nlohmann::json;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;
using testing::processes_with;
using testing::python;
using testing::wait_until_gone;

// Put on the evaluators' command lines (and on no seedline command line, unlike the
// directory itself, which the --db path contains), so a /proc scan finds exactly them.
std::string marker(const TempDir& dir) { return (dir / "evaluators").string(); }

std::string example(const std::string& name) {
  return (seedline::testing::source_dir() / "examples" / "external" / name).string();
}

// Sphere with shift 0.5 on a two-layer network, factorized and direct.
json sphere_experiment(const json& task) {
  json experiment = json::parse(R"({
    "name": "sphere", "seed": 11, "trials": 1,
    "network": [{"type": "dense", "in": 6, "out": 5, "activation": "tanh"}, {"type": "dense", "out": 3}],
    "ga": {"population": 12, "elites": 1, "generations": 5, "mutation_rate": 0.05, "snapshot_every": 2,
           "stages": [{"evaluations": 1, "keep": 6}, {"evaluations": 1, "keep": 3}]},
    "conditions": [{"name": "factorized", "representation": {"type": "factorized", "rank": 2}},
                   {"name": "direct", "representation": {"type": "direct"}}]})");
  experiment["task"] = task;
  return experiment;
}

void run_file(const std::filesystem::path& db, const std::filesystem::path& file, const json& experiment) {
  write_file(file, experiment.dump());
  const auto r = run_seedline({"--db", db.string(), "run", file.string(), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ExternalRun, ThePythonSphereGivesTheBuiltInSpheresFitnessBitForBit) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(run_file(dir / "builtin.db", dir / "builtin.json",
                                   sphere_experiment({{"type", "sphere"}, {"shift", 0.5}})));
  ASSERT_NO_FATAL_FAILURE(run_file(
      dir / "external.db", dir / "external.json",
      sphere_experiment({{"type", "external"}, {"workers", 2}, {"command", {python(), example("sphere.py"), "0.5", marker(dir)}}})));
  const auto builtin = runner::testing::read_histories(dir / "builtin.db");
  const auto external = runner::testing::read_histories(dir / "external.db");
  ASSERT_EQ(builtin.size(), 2u);
  ASSERT_EQ(external.size(), 2u);
  for (const auto& [run, h] : builtin) {
    EXPECT_EQ(h.state, "finished");
    ASSERT_EQ(h.individuals.size(), external.at(run).individuals.size());
    // Every individual's fitness is compared with ==: the same bits.
    EXPECT_EQ(runner::testing::first_difference(h, external.at(run)), "") << "run " << run;
  }
  EXPECT_EQ(wait_until_gone(marker(dir), 0), std::vector<int>{});
}

// Evolution strategies through the evaluator processes: members built from the center in
// this process, the same update, so the same rows, fitnesses and center checksums.
TEST(ExternalRun, EsRunsThroughThePythonSphereGiveTheBuiltInHistoryBitForBit) {
  TempDir dir;
  const json conditions = json::array(
      {{{"name", "es"}, {"algorithm", {{"type", "es"}, {"sigma", 0.05}, {"learning_rate", 0.03}, {"optimizer", "adam"}}}},
       {{"name", "eggroll"},
        {"algorithm", {{"type", "es"}, {"perturbation", {{"type", "lowrank"}, {"rank", 2}}}}}}});
  auto builtin_spec = sphere_experiment({{"type", "sphere"}, {"shift", 0.5}});
  auto external_spec =
      sphere_experiment({{"type", "external"}, {"workers", 2}, {"command", {python(), example("sphere.py"), "0.5", marker(dir)}}});
  for (auto* spec : {&builtin_spec, &external_spec}) {
    (*spec)["conditions"] = conditions;
    (*spec)["ga"] = {{"population", 12}, {"generations", 5}, {"snapshot_every", 2}};
  }
  ASSERT_NO_FATAL_FAILURE(run_file(dir / "builtin.db", dir / "builtin.json", builtin_spec));
  ASSERT_NO_FATAL_FAILURE(run_file(dir / "external.db", dir / "external.json", external_spec));
  const auto builtin = runner::testing::read_histories(dir / "builtin.db");
  const auto external = runner::testing::read_histories(dir / "external.db");
  ASSERT_EQ(builtin.size(), 2u);
  for (const auto& [run, h] : builtin) {
    EXPECT_EQ(h.state, "finished");
    EXPECT_EQ(h.individuals.size(), 1u + 5u * 13u);  // center 0, then 12 members and a center a generation
    EXPECT_EQ(runner::testing::first_difference(h, external.at(run)), "") << "run " << run;
  }
  EXPECT_EQ(wait_until_gone(marker(dir), 0), std::vector<int>{});
}

TEST(ExternalRun, ThePythonCartpoleImprovesOverGenerations) {
  TempDir dir;
  json experiment = json::parse(R"({
    "name": "cartpole-external", "seed": 5, "trials": 1,
    "network": [{"type": "dense", "out": 8, "activation": "tanh"}, {"type": "dense", "out": 2}],
    "ga": {"population": 8, "elites": 1, "generations": 8, "mutation_rate": 0.1,
           "stages": [{"evaluations": 2, "keep": 3}]},
    "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})");
  experiment["task"] = {{"type", "external"}, {"workers", 2}, {"observation_shape", {4}}, {"actions", 2},
                        {"command", {python(), example("cartpole.py"), "500", marker(dir)}}};
  ASSERT_NO_FATAL_FAILURE(run_file(dir / "cartpole.db", dir / "cartpole.json", experiment));
  auto db = store::open_database(dir / "cartpole.db", store::OpenPurpose::kRead);
  const auto generations = store::list_generations(db, 1);
  // Seed 5 was picked so that generation 0's best is far from the 500 cap (measured: 200.5
  // -> 281); every generation meets new episode seeds, so the curve is noisy in between.
  ASSERT_EQ(generations.size(), 8u);
  EXPECT_GT(generations.back().best, generations.front().best)
      << "best " << generations.front().best << " -> " << generations.back().best;
  EXPECT_GT(generations.back().steps, 0);
  EXPECT_EQ(wait_until_gone(marker(dir), 0), std::vector<int>{});
}

// A small experiment on the deterministic test evaluator (or one of its faults): two trials.
json fault_experiment(const TempDir& dir, const std::string& mode, int generations, const std::string& arg = "") {
  json experiment = json::parse(R"({
    "name": "faults", "seed": 9, "trials": 2,
    "network": [{"type": "dense", "out": 4, "activation": "relu"}, {"type": "dense", "out": 2}],
    "ga": {"population": 8, "elites": 1, "generations": 4, "mutation_rate": 0.05, "snapshot_every": 3,
           "stages": [{"evaluations": 2, "keep": 4}, {"evaluations": 1, "keep": 2}]},
    "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})");
  experiment["ga"]["generations"] = generations;
  experiment["task"] = {{"type", "external"}, {"workers", 2}, {"observation_shape", {3}}, {"actions", 2},
                        {"timeout", 20}, {"command", testing::fault_command(mode, marker(dir), arg)}};
  return experiment;
}

void submit(const std::filesystem::path& db, const std::filesystem::path& file, const json& experiment) {
  write_file(file, experiment.dump());
  const auto r = run_seedline({"--db", db.string(), "submit", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(ExternalRun, ACrashingEvaluatorFailsItsRunWithAMessageNamingTheIndividualAndTheDaemonGoesOn) {
  TempDir dir;
  const auto db = dir / "crash.db";
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "crash.json", fault_experiment(dir, "crash", 3)));
  const auto r = run_seedline({"--db", db.string(), "daemon", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto store = store::open_database(db, store::OpenPurpose::kRead);
  for (int64_t run : {1, 2}) {
    const auto s = store::run_summary(store, run);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->run.state, store::RunState::kFailed);
    ASSERT_TRUE(s->run.message);
    for (const char* part : {"generation 0: member ", " (root, seed ", "), stage 0, episode ", "(episode seed ",
                             "external evaluator worker",
                             "exited with status 3", "attempt 3 of 3", "crashing on purpose"}) {
      EXPECT_NE(s->run.message->find(part), std::string::npos) << part << " missing from: " << *s->run.message;
    }
  }
  EXPECT_EQ(wait_until_gone(marker(dir), 0), std::vector<int>{});
}

// The hostile audit's case: an evaluator whose setup hook opens its weights for writing
// (which truncated the shared region and killed every daemon that claimed the run with
// SIGBUS) now fails its own runs with the Python error, and the daemon goes on to the next
// experiment; an evaluator that tampers and carries on gets the clean history.
TEST(ExternalRun, AnEvaluatorThatTouchesItsSharedWeightsCannotTakeTheDaemonDown) {
  TempDir dir;
  const auto db = dir / "tamper.db";
  json hostile = fault_experiment(dir, "tamper_setup", 3);
  hostile["name"] = "hostile";
  json tampering = fault_experiment(dir, "tamper", 3);
  tampering["name"] = "tampering";
  json clean = fault_experiment(dir, "ok", 3);
  clean["name"] = "clean";
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "hostile.json", hostile));
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "tampering.json", tampering));
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "clean.json", clean));
  const auto r = run_seedline({"--db", db.string(), "daemon", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // not 135 (SIGBUS)
  auto store = store::open_database(db, store::OpenPurpose::kRead);
  for (int64_t run : {1, 2}) {
    const auto s = store::run_summary(store, run);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->run.state, store::RunState::kFailed);
    ASSERT_TRUE(s->run.message);
    EXPECT_NE(s->run.message->find("PermissionError"), std::string::npos) << *s->run.message;
  }
  for (int64_t run : {3, 4, 5, 6}) {
    const auto s = store::run_summary(store, run);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->run.state, store::RunState::kFinished) << "run " << run;
  }
  // Same seed, same task: the tampering evaluator's runs have the clean runs' histories.
  const auto status = run_seedline({"--db", db.string(), "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const json runs = json::parse(status.out)["runs"];
  for (int64_t trial : {0, 1}) {
    json a, b;
    for (const auto& run : runs) {
      if (run["trial"] != trial) continue;
      if (run["experiment_name"] == "tampering") a = run;
      if (run["experiment_name"] == "clean") b = run;
    }
    ASSERT_FALSE(a.is_null());
    ASSERT_FALSE(b.is_null());
    EXPECT_EQ(a["best_fitness"], b["best_fitness"]) << "trial " << trial;
  }
  EXPECT_EQ(wait_until_gone(marker(dir), 5), std::vector<int>{});
}

// SIGINT (Ctrl-C: it reaches seedline only, the evaluators have their own process group) and
// SIGTERM both pause the run; seedline stops its evaluators before it exits.
void expect_signal_pauses_and_leaves_no_evaluator(int sig) {
  TempDir dir;
  const auto db = dir / "paused.db";
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "slow.json", fault_experiment(dir, "slow", 1000, "0.01")));
  runner::testing::Child daemon({"--db", db.string(), "daemon"}, dir.path(), "daemon");
  for (int i = 0; i < 1000; ++i) {
    auto store = store::open_database(db, store::OpenPurpose::kRead);
    const auto s = store::run_summary(store, 1);
    if (s && s->last_generation >= 1) break;
    runner::testing::sleep_seconds(0.01);
  }
  EXPECT_EQ(processes_with(marker(dir)).size(), 2u);
  daemon.signal(sig);
  EXPECT_EQ(daemon.wait(), std::make_pair(0, 0)) << daemon.err();
  EXPECT_EQ(processes_with(marker(dir)), std::vector<int>{}) << daemon.err();
  auto store = store::open_database(db, store::OpenPurpose::kRead);
  const auto s = store::run_summary(store, 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->run.state, store::RunState::kPaused) << daemon.err();
}

TEST(ExternalRun, SigtermPausesTheRunAndLeavesNoEvaluatorProcess) {
  expect_signal_pauses_and_leaves_no_evaluator(SIGTERM);
}

TEST(ExternalRun, SigintPausesTheRunAndLeavesNoEvaluatorProcess) {
  expect_signal_pauses_and_leaves_no_evaluator(SIGINT);
}

TEST(ExternalRun, WhenSeedlineIsKilledItsEvaluatorsExitToo) {
  TempDir dir;
  const auto db = dir / "killed.db";
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "slow.json", fault_experiment(dir, "slow", 1000, "0.01")));
  runner::testing::Child daemon({"--db", db.string(), "daemon"}, dir.path(), "daemon");
  for (int i = 0; i < 1000 && processes_with(marker(dir)).size() < 2; ++i) runner::testing::sleep_seconds(0.01);
  runner::testing::sleep_seconds(0.2);
  ASSERT_EQ(processes_with(marker(dir)).size(), 2u) << daemon.err();
  daemon.signal(SIGKILL);
  daemon.wait();
  EXPECT_EQ(wait_until_gone(marker(dir), 3), std::vector<int>{});
}

TEST(ExternalRun, RunsKilledAtAnyMomentResumeToTheSameLineageAndHistory) {
  TempDir dir;
  const auto reference = dir / "reference.db", crashed = dir / "crashed.db";
  const json experiment = fault_experiment(dir, "ok", 6);
  ASSERT_NO_FATAL_FAILURE(submit(reference, dir / "ok.json", experiment));
  ASSERT_NO_FATAL_FAILURE(submit(crashed, dir / "ok.json", experiment));
  {
    const auto r = run_seedline({"--db", reference.string(), "daemon", "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const std::string point : {"evaluate:2", "commit:4", "evaluate:0"}) {
    const auto r = run_seedline({"--db", crashed.string(), "daemon", "--once", "--stale-after", "0.3"}, "", {},
                                {"SEEDLINE_CRASH_AT=" + point});
    EXPECT_EQ(r.signal, SIGKILL) << point << " did not fire; stderr: " << r.err;
    runner::testing::sleep_seconds(0.5);
  }
  for (int round = 0; round < 4; ++round) {
    const auto r = run_seedline({"--db", crashed.string(), "daemon", "--once", "--stale-after", "0.3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto db = store::open_database(crashed, store::OpenPurpose::kRead);
    if (store::unfinished_runs(db, std::nullopt) == 0) break;
    runner::testing::sleep_seconds(0.5);
  }
  const auto expected = runner::testing::read_histories(reference);
  const auto actual = runner::testing::read_histories(crashed);
  ASSERT_EQ(expected.size(), 2u);
  for (const auto& [run, h] : expected) {
    EXPECT_EQ(h.state, "finished");
    EXPECT_EQ(runner::testing::first_difference(h, actual.at(run)), "") << "run " << run;
  }
  EXPECT_EQ(wait_until_gone(marker(dir), 3), std::vector<int>{});
}

// QA: a run resumed with a new evaluator version recorded only the first version. Every
// version is recorded with the generation it started, and status --json, show and the run
// API list them.
TEST(ExternalRun, EveryEvaluatorVersionARunUsedIsRecordedWithTheGenerationItStarted) {
  TempDir dir;
  const auto db = dir / "versions.db";
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "ok.json", fault_experiment(dir, "ok", 4)));
  const auto killed = run_seedline({"--db", db.string(), "daemon", "--once", "--stale-after", "0.3"}, "", {},
                                   {"SEEDLINE_CRASH_AT=commit:1", "FAULT_EVALUATOR_VERSION=1.0"});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
  EXPECT_NE(killed.err.find("evaluator 'fault-evaluator' version '1.0' (protocol 1)"), std::string::npos) << killed.err;
  int64_t resumed_at = 0;
  {
    auto store = store::open_database(db, store::OpenPurpose::kRead);
    resumed_at = store::last_generation(store, 1).value().generation + 1;
  }
  runner::testing::sleep_seconds(0.5);
  const auto resumed = run_seedline({"--db", db.string(), "daemon", "--once", "--stale-after", "0.3"}, "", {},
                                    {"FAULT_EVALUATOR_VERSION=2.0"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("WARNING: run 1 was evaluated by 'fault-evaluator' version '1.0' (from generation 0) "
                             "but resumes at generation " +
                             std::to_string(resumed_at) + " with 'fault-evaluator' version '2.0'"),
            std::string::npos)
      << resumed.err;
  // Run 2 started under version 2.0 and never changed: no warning about it.
  EXPECT_EQ(resumed.err.find("WARNING: run 2"), std::string::npos) << resumed.err;
  auto store = store::open_database(db, store::OpenPurpose::kRead);
  const auto first = store::list_run_evaluators(store, 1);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].generation, 0);
  EXPECT_EQ(first[0].name, "fault-evaluator");
  EXPECT_EQ(first[0].version, "1.0");
  EXPECT_EQ(json::parse(first[0].command), json(testing::fault_command("ok", marker(dir))));
  EXPECT_EQ(first[1].generation, resumed_at);
  EXPECT_EQ(first[1].version, "2.0");
  EXPECT_EQ(store::find_run_evaluator(store, 1, resumed_at - 1)->version, "1.0");
  EXPECT_EQ(store::find_run_evaluator(store, 1, 3)->version, "2.0");
  const auto second = store::list_run_evaluators(store, 2);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].generation, 0);
  EXPECT_EQ(second[0].version, "2.0");

  // Shown where runs are shown: status --json (and the run API, which shares it), show.
  const auto status = run_seedline({"--db", db.string(), "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto runs = json::parse(status.out)["runs"];
  ASSERT_EQ(runs.size(), 2u);
  ASSERT_EQ(runs[0]["evaluators"].size(), 2u) << runs[0];
  EXPECT_EQ(runs[0]["evaluators"][0]["version"], "1.0");
  EXPECT_EQ(runs[0]["evaluators"][0]["generation"], 0);
  EXPECT_EQ(runs[0]["evaluators"][1]["version"], "2.0");
  EXPECT_EQ(runs[0]["evaluators"][1]["generation"], resumed_at);
  EXPECT_EQ(runs[0]["evaluators"][1]["command"], json(testing::fault_command("ok", marker(dir))));
  EXPECT_EQ(runs[1]["evaluators"].size(), 1u);
  const auto show = run_seedline({"--db", db.string(), "show", "1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("run 1: 'fault-evaluator' version '1.0' from generation 0; 'fault-evaluator' version '2.0' "
                          "from generation " +
                          std::to_string(resumed_at) + "  (evaluator changed on resume)"),
            std::string::npos)
      << show.out;
  const auto show_json = run_seedline({"--db", db.string(), "show", "1", "--json"});
  ASSERT_EQ(show_json.exit_code, 0) << show_json.err;
  EXPECT_EQ(json::parse(show_json.out)["evaluators"].size(), 3u) << show_json.out;
  EXPECT_EQ(wait_until_gone(marker(dir), 3), std::vector<int>{});
}

// A resume with the same evaluator adds nothing; a resume at a generation that already has a
// record (the previous attempt committed nothing) replaces it.
TEST(ExternalRun, ARecordIsAddedOnlyWhenTheEvaluatorChanges) {
  TempDir dir;
  const auto path = dir / "records.db";
  ASSERT_NO_FATAL_FAILURE(submit(path, dir / "ok.json", fault_experiment(dir, "ok", 4)));
  auto db = store::open_database(path, store::OpenPurpose::kWrite);
  store::RunEvaluator e;
  e.run_id = 1;
  e.command = R"(["evaluator"])";
  e.name = "env";
  e.version = "1";
  e.protocol = 1;
  EXPECT_TRUE(store::record_run_evaluator(db, e));
  e.generation = 3;
  EXPECT_FALSE(store::record_run_evaluator(db, e));  // the same evaluator resumes
  e.version = "2";
  EXPECT_TRUE(store::record_run_evaluator(db, e));
  e.version = "3";
  EXPECT_TRUE(store::record_run_evaluator(db, e));   // generation 3 again: replaced
  e.version = "1";
  EXPECT_FALSE(store::record_run_evaluator(db, e));  // back to the one before: the record goes
  auto list = store::list_run_evaluators(db, 1);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].version, "1");
  e.generation = 5;
  e.command = R"(["evaluator", "--fast"])";
  EXPECT_TRUE(store::record_run_evaluator(db, e));  // another command is another evaluator
  list = store::list_run_evaluators(db, 1);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].generation, 5);
}

// Issue 21: a 1 MiB ERROR message and a 500,000-character evaluator name. The run fails with
// the message cut to the protocol's 16 KiB, `status` shows at most its table's share of it,
// and the stored evaluator name is cut to 200 bytes.
TEST(ExternalRun, AHugeErrorIsStoredCutAndStatusNeverPrintsItWhole) {
  TempDir dir;
  const auto db = dir / "huge.db";
  json experiment = fault_experiment(dir, "error_huge", 2);
  experiment["trials"] = 1;
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "huge.json", experiment));
  const auto r = run_seedline({"--db", db.string(), "daemon", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 4000);
  EXPECT_LT(r.out.size() + r.err.size(), 64u * 1024u) << "the daemon printed the whole message";
  {
    auto store = store::open_database(db, store::OpenPurpose::kRead);
    const auto s = store::run_summary(store, 1);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->run.state, store::RunState::kFailed);
    ASSERT_TRUE(s->run.message);
    EXPECT_LT(s->run.message->size(), kMaxErrorBytes + 8192);
    EXPECT_NE(s->run.message->find("reported an error: EEEE"), std::string::npos) << s->run.message->substr(0, 500);
    EXPECT_NE(s->run.message->find(" bytes more)"), std::string::npos);
  }
  const auto table = run_seedline({"--db", db.string(), "status"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_LT(table.out.size(), 4096u) << table.out.substr(0, 500);
  EXPECT_NE(table.out.find("failed"), std::string::npos) << table.out.substr(0, 500);
  EXPECT_NE(table.out.find(" bytes more)"), std::string::npos) << table.out.substr(0, 500);
  const auto as_json = run_seedline({"--db", db.string(), "status", "--json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_LT(as_json.out.size(), 40u * 1024u);
  EXPECT_EQ(wait_until_gone(marker(dir), 0), std::vector<int>{});
}

TEST(ExternalRun, AFiveHundredThousandCharacterEvaluatorNameIsStoredCut) {
  TempDir dir;
  const auto db = dir / "name.db";
  json experiment = fault_experiment(dir, "long_name", 1);
  experiment["trials"] = 1;
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "name.json", experiment));
  const auto r = run_seedline({"--db", db.string(), "daemon", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 4000);
  EXPECT_LT(r.err.size(), 16u * 1024u) << "the daemon printed the whole name";
  auto store = store::open_database(db, store::OpenPurpose::kRead);
  const auto recorded = store::find_run_evaluator(store, 1, 0);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->name, std::string(kMaxIdentityBytes, 'N') + "... (499800 bytes more)");
  EXPECT_EQ(wait_until_gone(marker(dir), 0), std::vector<int>{});
}

// Issue 21: `workers: 200` for a population of 16 started 200 processes. Every process of
// the `count` mode leaves a file: one stage of 16 members x 1 episode starts 16.
TEST(ExternalRun, TwoHundredWorkersForSixteenItemsStartSixteenProcesses) {
  TempDir dir;
  const auto db = dir / "workers.db";
  const auto counts = dir / "started";
  std::filesystem::create_directories(counts);
  json experiment = fault_experiment(dir, "count", 2, counts.string());
  experiment["trials"] = 1;
  experiment["ga"]["population"] = 16;
  experiment["ga"]["stages"] = json::array({{{"evaluations", 1}, {"keep", 4}}});
  experiment["task"]["workers"] = 200;
  ASSERT_NO_FATAL_FAILURE(submit(db, dir / "workers.json", experiment));
  const auto r = run_seedline({"--db", db.string(), "daemon", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t started = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(counts)) ++started;
  EXPECT_EQ(started, 16u);
  auto store = store::open_database(db, store::OpenPurpose::kRead);
  const auto s = store::run_summary(store, 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->run.state, store::RunState::kFinished) << s->run.message.value_or("");
  EXPECT_EQ(wait_until_gone(marker(dir), 0), std::vector<int>{});
}

}  // namespace
}  // namespace seedline::evaluator
