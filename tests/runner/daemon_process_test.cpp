// The daemon as a real process: resume equivalence after SIGKILL (including inside a commit
// transaction), two daemons sharing one database, and SIGTERM pausing a run.
#include <gtest/gtest.h>

#include <set>

#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "store/run_summary.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;
using testing::Child;
using testing::first_difference;
using testing::read_histories;

// Short enough for a test, long enough that a killed daemon's heartbeat is surely stale
// after sleeping kStale + 0.2 s, so restarts resume the killed run before queued ones.
constexpr double kStale = 0.3;
const std::string kStaleArg = "0.3";

// Submits both test experiments into `db` in a fixed order.
void submit_all(const TempDir& dir, const std::filesystem::path& db) {
  write_file(dir / "sphere.json", testing::kSphereExperiment);
  write_file(dir / "cartpole.json", testing::kCartpoleExperiment);
  for (const char* f : {"sphere.json", "cartpole.json"}) {
    const auto r = run_seedline({"--db", db.string(), "submit", (dir / f).string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

// Submits the test cartpole experiment with `trials` trials of `generations` generations,
// once into each of `dbs` (same spec, so the same run seeds).
void submit_cartpole(const TempDir& dir, int trials, int generations,
                     std::initializer_list<std::filesystem::path> dbs) {
  std::string spec = testing::kCartpoleExperiment;
  const auto set = [&spec](const std::string& field, const std::string& from, int to) {
    const auto at = spec.find("\"" + field + "\": " + from);
    ASSERT_NE(at, std::string::npos) << field;
    spec.replace(at, field.size() + 4 + from.size(), "\"" + field + "\": " + std::to_string(to));
  };
  set("trials", "2", trials);
  set("generations", "6", generations);
  write_file(dir / "variant.json", spec);
  for (const auto& db : dbs) {
    const auto r = run_seedline({"--db", db.string(), "submit", (dir / "variant.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

// Runs every run of `db` to the end in one uninterrupted daemon.
void run_reference(const std::filesystem::path& db, int threads) {
  const auto r = run_seedline({"--db", db.string(), "daemon", "--once", "--threads", std::to_string(threads)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void expect_same_histories(const std::map<int64_t, testing::History>& expected,
                           const std::map<int64_t, testing::History>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [run, h] : expected) {
    ASSERT_TRUE(actual.count(run)) << "run " << run;
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(first_difference(h, actual.at(run)), "") << "run " << run;
  }
}

TEST(DaemonProcess, RunsKilledAtAnyMomentResumeToTheSameLineageAndFitnessHistory) {
  TempDir dir;
  const auto reference = dir / "reference.db", crashed = dir / "crashed.db";
  submit_all(dir, reference);
  submit_all(dir, crashed);
  run_reference(reference, 1);

  // Each crash point fires in whichever run reaches it first. Runs go in order (the killed
  // run is resumed first), so the sequence below kills: run 1 inside generation 3's commit
  // transaction; run 1 after its last commit but before it is marked finished; run 2 in the
  // middle of generation 2's evaluation; the first cartpole run inside its first commit.
  const std::vector<std::string> crash_points = {"commit:3", "committed:7", "evaluate:2", "commit:0"};
  for (const auto& point : crash_points) {
    const auto r = seedline::testing::run_seedline(
        {"--db", crashed.string(), "daemon", "--once", "--threads", "2", "--stale-after", kStaleArg}, "", {},
        {"SEEDLINE_CRASH_AT=" + point});
    EXPECT_EQ(r.signal, SIGKILL) << point << " did not fire; stderr: " << r.err;
    testing::sleep_seconds(kStale + 0.2);
  }
  // A kill at an arbitrary moment (wherever the daemon happens to be after 40 ms).
  {
    Child daemon({"--db", crashed.string(), "daemon", "--once", "--threads", "2", "--stale-after", kStaleArg},
                 dir.path(), "timed");
    testing::sleep_seconds(0.04);
    daemon.signal(SIGKILL);
    daemon.wait();
    testing::sleep_seconds(kStale + 0.2);
  }
  for (int round = 0; round < 5; ++round) {
    const auto r = run_seedline({"--db", crashed.string(), "daemon", "--once", "--stale-after", kStaleArg});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("locked"), std::string::npos) << r.err;
    auto db = store::open_database(crashed, store::OpenPurpose::kRead);
    if (store::unfinished_runs(db, std::nullopt) == 0) break;
    testing::sleep_seconds(kStale + 0.2);
  }
  expect_same_histories(read_histories(reference), read_histories(crashed));
}

TEST(DaemonProcess, TwoDaemonsShareADatabaseAndFinishEveryRunOnce) {
  TempDir dir;
  const auto reference = dir / "reference.db", shared = dir / "shared.db";
  // Six cartpole runs of ~0.2 s each, so the second daemon finds work even on a slow start.
  ASSERT_NO_FATAL_FAILURE(submit_cartpole(dir, 6, 15, {reference, shared}));
  run_reference(reference, 1);

  Child a({"--db", shared.string(), "daemon", "--once", "--threads", "1"}, dir.path(), "a");
  Child b({"--db", shared.string(), "daemon", "--once", "--threads", "1"}, dir.path(), "b");
  EXPECT_EQ(a.wait(), std::make_pair(0, 0)) << a.err();
  EXPECT_EQ(b.wait(), std::make_pair(0, 0)) << b.err();
  for (const auto* d : {&a, &b}) {
    EXPECT_EQ(d->err().find("locked"), std::string::npos) << d->err();
    EXPECT_EQ(d->err().find("error"), std::string::npos) << d->err();
  }
  // Which daemon claimed which run, from their logs: disjoint, and together every run.
  const auto claimed = [](const std::string& log) {
    std::multiset<int64_t> runs;
    for (size_t at = log.find("claimed run "); at != std::string::npos; at = log.find("claimed run ", at + 1)) {
      runs.insert(std::stoll(log.substr(at + 12)));
    }
    return runs;
  };
  const auto by_a = claimed(a.err()), by_b = claimed(b.err());
  std::multiset<int64_t> all(by_a.begin(), by_a.end());
  all.insert(by_b.begin(), by_b.end());
  EXPECT_EQ(all, (std::multiset<int64_t>{1, 2, 3, 4, 5, 6})) << a.err() << b.err();
  EXPECT_FALSE(by_a.empty());
  EXPECT_FALSE(by_b.empty());
  // Interleaved inserts give other absolute ids; relative to each run the lineage is the same.
  expect_same_histories(read_histories(reference, true), read_histories(shared, true));
}

TEST(DaemonProcess, SigtermPausesTheRunExitsZeroAndTheRunResumes) {
  TempDir dir;
  const auto reference = dir / "reference.db", paused = dir / "paused.db";
  // Enough generations that SIGTERM lands mid-run.
  ASSERT_NO_FATAL_FAILURE(submit_cartpole(dir, 1, 400, {reference, paused}));
  run_reference(reference, 2);

  Child daemon({"--db", paused.string(), "daemon", "--threads", "2"}, dir.path(), "daemon");
  // Wait for a few committed generations, then ask it to stop.
  for (int i = 0; i < 500; ++i) {
    auto db = store::open_database(paused, store::OpenPurpose::kRead);
    const auto s = store::run_summary(db, 1);
    if (s && s->last_generation >= 3) break;
    testing::sleep_seconds(0.01);
  }
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(), std::make_pair(0, 0)) << daemon.err();
  {
    auto db = store::open_database(paused, store::OpenPurpose::kRead);
    const auto s = store::run_summary(db, 1);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->run.state, store::RunState::kPaused);
    EXPECT_LT(s->last_generation, 399) << "the run finished before SIGTERM; make it longer";
    ASSERT_TRUE(s->run.message);
    EXPECT_NE(s->run.message->find("stopped at generation"), std::string::npos) << *s->run.message;
    EXPECT_FALSE(s->run.owner);
  }
  const auto r = run_seedline({"--db", paused.string(), "daemon", "--once", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming at generation"), std::string::npos) << r.err;
  expect_same_histories(read_histories(reference), read_histories(paused));
}

}  // namespace
}  // namespace seedline::runner
