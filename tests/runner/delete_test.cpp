// `seedline delete` (src/runner/delete.hpp, store/experiment_delete.hpp, docs/runner.md
// "Deleting an experiment"): every row of the experiment goes, in every table, and no row of
// another; a run a live daemon holds refuses the deletion with nothing removed, one whose
// daemon is gone or stopped heartbeating does not; without --yes nothing is removed.
#include "runner/delete.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <nlohmann/json.hpp>

#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "runner_testing.hpp"
#include "store/es_state_repo.hpp"
#include "store/evaluator_repo.hpp"
#include "store/experiment_delete.hpp"
#include "store/metric_repo.hpp"
#include "store/migrations.hpp"
#include "store/reevaluation_repo.hpp"
#include "store/run_repo.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

std::string this_host() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

// Two runs of kSphereExperiment, finished, plus a row in each table evolution alone leaves
// empty for a GA sphere run (re-evaluation with a metric, named metric, ES state, evaluator
// record).
int64_t submit_and_fill(store::Database& db) {
  const auto submitted =
      submit_experiment(db, evolve::parse_experiment(testing::kSphereExperiment, "test.json"), "test.json");
  DaemonOptions options;
  options.threads = 2;
  options.once = true;
  options.experiment_id = submitted.experiment_id;
  std::atomic<bool> stop{false};
  EXPECT_EQ(run_daemon(db, options, stop).finished.size(), 2u);
  for (const int64_t run : submitted.runs) {
    const auto g = store::last_generation(db, run).value();
    store::ReevaluationRow re;
    re.individual_id = g.best_individual;
    re.seed = 1;
    re.episodes = 1;
    re.mean = -1;
    re.metrics = {{"distance", 2.0, 1}};
    store::insert_reevaluation(db, re);
    store::GenerationMetric metric;
    metric.run_id = run;
    metric.generation = g.generation;
    metric.name = "distance";
    metric.members = 1;
    metric.member_values = {2.0};
    store::insert_generation_metrics(db, std::span(&metric, 1));
    store::put_es_state(db, {g.best_individual, run, 3, {}, {}});
    store::record_run_evaluator(db, {run, 0, "[\"python3\"]", "sim", "1.0", 1, ""});
  }
  return submitted.experiment_id;
}

int64_t total_rows(store::Database& db, const std::string& table) {
  auto st = db.prepare("SELECT COUNT(*) FROM " + table);
  st.step();
  return st.column_int64(0);
}

TEST(DeleteExperiment, CountsEveryTableOfTheSchema) {
  // A table added by a later migration must be added to the deletion too (or listed here as
  // one that does not hang off an experiment).
  auto db = store::Database::open_memory();
  store::migrate(db);
  std::set<std::string> tables;
  auto st = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  while (st.step()) tables.insert(st.column_text(0));
  tables.erase("schema_migrations");
  std::set<std::string> counted;
  for (const auto& [table, n] : store::ExperimentRowCounts{}.by_table()) counted.insert(table);
  EXPECT_EQ(counted, tables);
}

TEST(DeleteExperiment, RemovesEveryRowOfTheExperimentAndNoneOfAnother) {
  TempDir dir;
  auto db = store::open_database(dir / "a.db", store::OpenPurpose::kCreate);
  const int64_t first = submit_and_fill(db), second = submit_and_fill(db);
  const auto before_first = store::count_experiment_rows(db, first);
  const auto before_second = store::count_experiment_rows(db, second);
  for (const auto& [table, n] : before_first.by_table()) {
    EXPECT_GT(n, 0) << table << ": the test must fill every table";
    EXPECT_EQ(n * 2, total_rows(db, table)) << table;  // the two experiments are alike
  }
  const auto removed = delete_experiment(db, first, 60, 1e9);
  EXPECT_EQ(removed.by_table(), before_first.by_table());
  for (const auto& [table, n] : store::count_experiment_rows(db, first).by_table()) EXPECT_EQ(n, 0) << table;
  EXPECT_EQ(store::count_experiment_rows(db, second).by_table(), before_second.by_table());
  for (const auto& [table, n] : before_second.by_table()) EXPECT_EQ(total_rows(db, table), n) << table;
  EXPECT_FALSE(store::find_experiment(db, first));
  EXPECT_EQ(store::list_runs(db).size(), 2u);
  // Nothing dangles, and foreign keys are enforced again on this connection.
  auto check = db.prepare("PRAGMA foreign_key_check");
  EXPECT_FALSE(check.step());
  auto enforced = db.prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(enforced.step());
  EXPECT_EQ(enforced.column_int64(0), 1);
}

TEST(DeleteExperiment, RefusedWhileALiveDaemonHoldsARunButNotForAGoneOrSilentOne) {
  TempDir dir;
  auto db = store::open_database(dir / "a.db", store::OpenPurpose::kCreate);
  const int64_t first = submit_and_fill(db), second = submit_and_fill(db);
  const double now = 2e9;
  // Run 1 held by this (live) process with a fresh heartbeat: refused, nothing removed.
  const std::string live = this_host() + ":" + std::to_string(::getpid()) + ":0000abcd";
  db.prepare("UPDATE runs SET state = 'running', owner = ?, heartbeat = ? WHERE id = 1").bind(1, live).bind(2, now).run();
  const auto before = store::count_experiment_rows(db, first);
  ASSERT_EQ(held_runs(db, first, 60, now + 1).size(), 1u);
  try {
    delete_experiment(db, first, 60, now + 1);
    ADD_FAILURE() << "deleted while a live daemon held run 1";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("run 1 (held by " + live + ", heartbeat 1 s ago)"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing was removed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store::count_experiment_rows(db, first).by_table(), before.by_table());
  auto enforced = db.prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(enforced.step());
  EXPECT_EQ(enforced.column_int64(0), 1);  // back on after the refusal too
  // Its heartbeat older than stale_after: the daemon stopped, the run no longer blocks.
  EXPECT_TRUE(held_runs(db, first, 60, now + 61).empty());
  EXPECT_EQ(delete_experiment(db, first, 60, now + 61).runs, 2);

  // A run of the second experiment held by a process of this host that is gone, its
  // heartbeat fresh: deleted at once.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const std::string gone = this_host() + ":" + std::to_string(child) + ":0000dcba";
  db.prepare("UPDATE runs SET state = 'running', owner = ?, heartbeat = ? WHERE id = 3").bind(1, gone).bind(2, now).run();
  EXPECT_TRUE(held_runs(db, second, 60, now).empty());
  EXPECT_EQ(delete_experiment(db, second, 60, now).runs, 2);
  EXPECT_TRUE(store::list_runs(db).empty());
}

TEST(DeleteCommand, WithoutYesRemovesNothingAndExits2AndANameDeletesItsNewestExperiment) {
  TempDir dir;
  const auto path = dir / "a.db";
  {
    auto db = store::open_database(path, store::OpenPurpose::kCreate);
    submit_and_fill(db);
    submit_and_fill(db);  // the same name: experiment 2 is the newest 'sphere-resume'
  }
  const auto db_arg = path.string();
  const auto dry = run_seedline({"--db", db_arg, "delete", "--experiment", "sphere-resume"});
  EXPECT_EQ(dry.exit_code, 2) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("experiment 2 'sphere-resume'"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("runs 2 finished"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("would remove: 2 conditions, 2 runs, "), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("another experiment is named 'sphere-resume': id 1"), std::string::npos) << dry.out;
  EXPECT_NE(dry.err.find("nothing was removed"), std::string::npos) << dry.err;
  EXPECT_NE(dry.err.find("delete --experiment 2 --yes"), std::string::npos) << dry.err;
  {
    auto db = store::open_database(path, store::OpenPurpose::kRead);
    EXPECT_EQ(store::list_experiments(db).size(), 2u);
    EXPECT_EQ(store::list_runs(db).size(), 4u);
  }

  // Held by a live daemon (this test process): refused, exit 1, nothing removed.
  {
    auto db = store::open_database(path, store::OpenPurpose::kWrite);
    const std::string live = this_host() + ":" + std::to_string(::getpid()) + ":0000abcd";
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    db.prepare("UPDATE runs SET state = 'running', owner = ?, heartbeat = ? WHERE id = 4")
        .bind(1, live)
        .bind(2, now)
        .run();
  }
  const auto held = run_seedline({"--db", db_arg, "delete", "--experiment", "sphere-resume", "--yes"});
  EXPECT_EQ(held.exit_code, 1) << held.out << held.err;
  EXPECT_NE(held.err.find("a live daemon holds run 4 (held by "), std::string::npos) << held.err;
  {
    auto db = store::open_database(path, store::OpenPurpose::kWrite);
    EXPECT_EQ(store::list_runs(db).size(), 4u);
    db.exec("UPDATE runs SET state = 'paused', owner = NULL, heartbeat = NULL WHERE id = 4");
  }

  const auto yes = run_seedline({"--db", db_arg, "delete", "--experiment", "sphere-resume", "--yes"});
  EXPECT_EQ(yes.exit_code, 0) << yes.out << yes.err;
  EXPECT_NE(yes.out.find("deleted experiment 2 'sphere-resume': 2 conditions, 2 runs, "), std::string::npos)
      << yes.out;
  EXPECT_NE(yes.out.find("2 re-evaluations"), std::string::npos) << yes.out;
  auto db = store::open_database(path, store::OpenPurpose::kRead);
  const auto left = store::list_experiments(db);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, 1);
  EXPECT_EQ(store::list_runs(db).size(), 2u);
  const auto unknown = run_seedline({"--db", db_arg, "delete", "--experiment", "nope", "--yes"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no experiment named 'nope'"), std::string::npos) << unknown.err;

  // --json: the rows per table on stdout, and the refusal as one JSON object on stderr.
  const auto dry_json = run_seedline({"--db", db_arg, "delete", "--experiment", "1", "--json"});
  EXPECT_EQ(dry_json.exit_code, 2) << dry_json.out << dry_json.err;
  const auto would = nlohmann::json::parse(dry_json.out);
  EXPECT_EQ(would["deleted"], false);
  EXPECT_EQ(would["would_remove"]["runs"], 2);
  EXPECT_EQ(would["would_remove"]["reevaluation_metrics"], 2);
  EXPECT_EQ(would["held"], "");
  const auto refusal = nlohmann::json::parse(dry_json.err);
  EXPECT_EQ(refusal["code"], 2);
  EXPECT_NE(refusal["error"].get<std::string>().find("delete --experiment 1 --yes"), std::string::npos);
  const auto yes_json = run_seedline({"--db", db_arg, "delete", "--experiment", "1", "--yes", "--json"});
  EXPECT_EQ(yes_json.exit_code, 0) << yes_json.err;
  const auto removed = nlohmann::json::parse(yes_json.out);
  EXPECT_EQ(removed["deleted"], true);
  EXPECT_EQ(removed["removed"]["experiments"], 1);
  EXPECT_EQ(removed["removed"]["reevaluations"], 2);
  EXPECT_EQ(store::list_experiments(db).size(), 0u);
}

}  // namespace
}  // namespace seedline::runner
