// `seedline retry` (src/runner/retry.hpp, docs/runner.md "Retrying runs"): a run failed by a
// passing cause, or abandoned by a process that died, goes back in the queue and resumes from
// its last committed generation to exactly the history of an uninterrupted run; finished runs
// and runs a live daemon holds are not touched; an external evaluator that cannot start fails
// each run after its first attempt with the evaluator's own error, and the failure says how
// to retry.
#include "runner/retry.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "evaluator/evaluator_testing.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "store/run_summary.hpp"
#include "support/temp_dir.hpp"
#include "tasks/function_tasks.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::read_file;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

store::Database submitted(const std::filesystem::path& path, const std::string& text) {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(text, "test.json"), "test.json");
  return db;
}

DaemonReport run_all(store::Database& db, DaemonOptions options = {}) {
  options.threads = 2;
  options.once = true;
  std::atomic<bool> stop{false};
  return run_daemon(db, options, stop);
}

void expect_same_histories(const std::filesystem::path& a, const std::filesystem::path& b) {
  // Ids relative to each run's first individual: retried runs interleave their rows differently.
  const auto x = testing::read_histories(a, true), y = testing::read_histories(b, true);
  ASSERT_EQ(x.size(), y.size());
  for (const auto& [run, h] : x) {
    EXPECT_EQ(y.at(run).state, "finished") << "run " << run;
    EXPECT_EQ(testing::first_difference(h, y.at(run)), "") << "run " << run;
  }
}

// kSphereExperiment's sphere (shift 0.5), whose simulator "goes away" after `limit` scores.
class FlakySphere final : public tasks::FunctionTask {
 public:
  explicit FlakySphere(int limit) : FunctionTask(0.5), limit_(limit) {}
  std::string name() const override { return "sphere"; }
  double score(std::span<const float> parameters) const override {
    if (calls_.fetch_add(1) >= limit_) throw std::runtime_error("the licence server is unreachable");
    return sphere_.score(parameters);
  }

 private:
  tasks::SphereTask sphere_{0.5};
  int limit_;
  mutable std::atomic<int> calls_{0};
};

TEST(Retry, AFailedRunResumesFromItsLastCommittedGenerationToTheUninterruptedHistory) {
  TempDir dir;
  {
    auto reference = submitted(dir / "ref.db", testing::kSphereExperiment);
    ASSERT_EQ(run_all(reference).finished.size(), 2u);
  }
  auto db = submitted(dir / "a.db", testing::kSphereExperiment);
  DaemonOptions flaky;
  // Run 1 fails in generation 3 (24 scores a generation), run 2 in generation 5.
  int built = 0;
  flaky.make_task = [&built](const nlohmann::json&) -> std::unique_ptr<tasks::Task> {
    return std::make_unique<FlakySphere>(built++ == 0 ? 3 * 24 + 7 : 5 * 24 + 1);
  };
  const auto failed = run_all(db, flaky);
  ASSERT_EQ(failed.failed, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(store::list_generations(db, 1).size(), 3u);
  EXPECT_EQ(store::list_generations(db, 2).size(), 5u);

  // Only run 2 first: run 1 stays failed, untouched.
  auto only = retry_runs(db, 1, 2, 60, 1e9);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].kind, RetryKind::kRequeued);
  EXPECT_NE(only[0].why.find("generation 5: "), std::string::npos) << only[0].why;
  EXPECT_NE(only[0].why.find("the licence server is unreachable"), std::string::npos) << only[0].why;
  auto run2 = store::find_run(db, 2).value();
  EXPECT_EQ(run2.state, store::RunState::kQueued);
  EXPECT_EQ(run2.message, "retried: resumes from generation 5");
  EXPECT_EQ(store::find_run(db, 1)->state, store::RunState::kFailed);

  const auto all = retry_runs(db, 1, std::nullopt, 60, 1e9);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].kind, RetryKind::kRequeued);   // run 1, failed
  EXPECT_EQ(all[1].kind, RetryKind::kResumable);  // run 2, queued already
  const auto resumed = run_all(db);
  EXPECT_EQ(resumed.finished, (std::vector<int64_t>{1, 2}));
  expect_same_histories(dir / "ref.db", dir / "a.db");

  // Finished runs are left as they are; an unknown run is named with the experiment's runs.
  const auto again = retry_runs(db, 1, std::nullopt, 60, 1e9);
  for (const auto& r : again) EXPECT_EQ(r.kind, RetryKind::kFinished);
  try {
    retry_runs(db, 1, 7, 60, 1e9);
    ADD_FAILURE() << "run 7 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("run 7 is not a run of experiment 1 (its runs: 1, 2)"), std::string::npos)
        << e.what();
  }
}

TEST(Retry, ARunHeldByALiveDaemonIsNotTouchedAndOneWhoseDaemonIsGoneIsRequeued) {
  TempDir dir;
  auto db = submitted(dir / "a.db", testing::kSphereExperiment);
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  // Run 1 held by this (live) process with a fresh heartbeat; run 2 by a process that is
  // gone (a child that exited), its heartbeat fresh too.
  const std::string live = std::string(host) + ":" + std::to_string(::getpid()) + ":0000abcd";
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const std::string gone = std::string(host) + ":" + std::to_string(child) + ":0000dcba";
  EXPECT_FALSE(owner_is_gone(live));
  EXPECT_TRUE(owner_is_gone(gone));
  EXPECT_FALSE(owner_is_gone("another-host.example:1:00000000"));  // can't tell: heartbeat decides
  const double now = 1e9;
  ASSERT_EQ(store::claim_run(db, {live, now, 60, std::nullopt})->id, 1);
  ASSERT_EQ(store::claim_run(db, {gone, now, 60, std::nullopt})->id, 2);
  const auto r = retry_runs(db, 1, std::nullopt, 60, now + 1);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].kind, RetryKind::kLive);
  EXPECT_NE(r[0].why.find(live), std::string::npos) << r[0].why;
  EXPECT_EQ(r[1].kind, RetryKind::kRequeued);
  EXPECT_NE(r[1].why.find("is gone"), std::string::npos) << r[1].why;
  EXPECT_EQ(store::find_run(db, 1)->owner, live);
  EXPECT_EQ(store::find_run(db, 1)->state, store::RunState::kRunning);
  EXPECT_EQ(store::find_run(db, 2)->state, store::RunState::kQueued);
  EXPECT_FALSE(store::find_run(db, 2)->owner);
  // Once the live one's heartbeat is older than --stale-after it counts as abandoned too.
  const auto later = retry_runs(db, 1, 1, 60, now + 61);
  EXPECT_EQ(later[0].kind, RetryKind::kRequeued);
  EXPECT_NE(later[0].why.find("stopped heartbeating"), std::string::npos) << later[0].why;
}

TEST(RetryCommand, ARunKilledMidwayIsRetriedFromTheCliToTheUninterruptedHistory) {
  TempDir dir;
  write_file(dir / "sphere.json", testing::kSphereExperiment);
  const auto reference = dir / "ref.db", db = dir / "a.db";
  ASSERT_EQ(run_seedline({"--db", reference.string(), "run", (dir / "sphere.json").string(), "--threads", "2"})
                .exit_code,
            0);
  // The process dies right after run 1's generation 4 committed, holding the run.
  const auto killed = run_seedline({"--db", db.string(), "run", (dir / "sphere.json").string(), "--threads", "2"},
                                   "", {}, {"SEEDLINE_CRASH_AT=committed:4"});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
  const auto r = run_seedline({"--db", db.string(), "retry", "--experiment", "sphere-resume", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("run 1 (factorized, trial 0): running, generations 0-4 committed (its daemon "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("is gone): queued again; resumes from generation 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("run 2 (direct, trial 0): queued, no generation committed: resumes from generation 0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Next steps"), std::string::npos) << r.out;
  expect_same_histories(reference, db);
  // Nothing left to do.
  const auto again = run_seedline({"--db", db.string(), "retry", "--experiment", "sphere-resume"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to retry"), std::string::npos) << again.out;
}

// Sphere (shift 0.5) through examples/external/sphere.py behind a shell script that logs each
// start and, while `broken` exists, fails before its READY as a missing Python module would.
TEST(RetryCommand, AnEvaluatorThatCannotStartFailsEachRunOnceThenRetryFinishesThem) {
  TempDir dir;
  const std::string marker = (dir / "evaluators").string();
  const auto script = dir / "evaluator.sh";
  write_file(script, "#!/bin/sh\necho start >> '" + (dir / "starts.log").string() + "'\nif [ -e '" +
                         (dir / "broken").string() +
                         "' ]; then\n  echo \"ModuleNotFoundError: No module named 'simulator'\" >&2\n  exit 1\nfi\n"
                         "exec '" + evaluator::testing::python() + "' '" +
                         (seedline::testing::source_dir() / "examples" / "external" / "sphere.py").string() +
                         "' 0.5 '" + marker + "'\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  auto experiment = nlohmann::json::parse(testing::kSphereExperiment);
  const auto builtin = dir / "builtin.db", db = dir / "external.db";
  write_file(dir / "builtin.json", experiment.dump());
  ASSERT_EQ(run_seedline({"--db", builtin.string(), "run", (dir / "builtin.json").string()}).exit_code, 0);
  experiment["task"] = {{"type", "external"}, {"workers", 1}, {"command", {script.string()}}};
  write_file(dir / "external.json", experiment.dump());

  write_file(dir / "broken", "");
  const auto r = run_seedline({"--db", db.string(), "run", (dir / "external.json").string(), "--threads", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // One start per run, not 3 starts per run.
  EXPECT_EQ(read_file(dir / "starts.log"), "start\nstart\n");
  for (const std::string run : {"run 1 (factorized, trial 0): failed: ", "run 2 (direct, trial 0): failed: "}) {
    EXPECT_NE(r.err.find(run), std::string::npos) << run << "\n" << r.err;
  }
  EXPECT_NE(r.err.find("ModuleNotFoundError: No module named 'simulator'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("before its first READY"), std::string::npos) << r.err;
  const std::string retry = "seedline --db " + db.string() + " retry --experiment 1";
  EXPECT_NE(r.out.find(retry), std::string::npos) << r.out;  // in the next steps
  EXPECT_NE(r.err.find("2 of 2 runs failed (named above); once the cause is fixed, `" + retry + "`"),
            std::string::npos)
      << r.err;

  const auto status = run_seedline({"--db", db.string(), "status"});
  EXPECT_NE(status.out.find("failed runs of experiment 1 resume from their last committed generation, once the cause "
                            "is fixed, with `" + retry + "`"),
            std::string::npos)
      << status.out;

  // The cause passes (the module is installed); retry run 2 alone, then the rest.
  std::filesystem::remove(dir / "broken");
  const auto two = run_seedline({"--db", db.string(), "retry", "--experiment", "1", "--run", "2"});
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  EXPECT_EQ(two.out.find("run 1 ("), std::string::npos) << two.out;
  {
    auto conn = store::open_database(db, store::OpenPurpose::kRead);
    EXPECT_EQ(store::find_run(conn, 1)->state, store::RunState::kFailed);
    EXPECT_EQ(store::find_run(conn, 2)->state, store::RunState::kFinished);
  }
  const auto rest = run_seedline({"--db", db.string(), "retry", "--experiment", "1"});
  ASSERT_EQ(rest.exit_code, 0) << rest.out << rest.err;
  expect_same_histories(builtin, db);
  EXPECT_EQ(evaluator::testing::wait_until_gone(marker, 0), std::vector<int>{});
}

}  // namespace
}  // namespace seedline::runner
