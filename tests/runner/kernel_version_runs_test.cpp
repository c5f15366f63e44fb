// Kernel version 3 in whole runs (docs/kernels.md): a CartPole MLP run records version 3 and its
// lineage and fitness history are bit-identical on every kernel path this CPU runs
// (SEEDLINE_KERNELS) and on 1, 2 and 3 threads; runs of versions 1, 2 and 3 of the same
// experiment each resume from SIGKILLs to the history of their uninterrupted twin, and version 2
// (the transformer-only kernels) still computes an MLP exactly as version 1.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/dispatch.hpp"
#include "kernels/version.hpp"
#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

constexpr double kStale = 0.3;
const std::string kStaleArg = "0.3";

// Small: a 4-16-16-2 tanh net, episodes up to 200 steps, so the portable path (a software fma
// per multiply-add) still takes well under a second.
constexpr const char* kExperiment = R"({
  "name": "cartpole-kernels", "seed": 77, "trials": 2,
  "task": {"type": "cartpole", "episodes": 2, "max_steps": 200},
  "network": [{"type": "dense", "out": 16, "activation": "tanh"}, {"type": "dense", "out": 16, "activation": "tanh"},
              {"type": "dense", "out": 2}],
  "ga": {"population": 12, "truncation": 3, "elites": 1, "generations": 4, "mutation_rate": 0.1,
         "snapshot_every": 2},
  "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})";

void submit(const std::filesystem::path& db, const std::filesystem::path& file) {
  const auto r = run_seedline({"--db", db.string(), "submit", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(KernelVersionRuns, Version3CartpoleHistoryIsTheSameOnEveryPathAndThreadCount) {
  TempDir dir;
  write_file(dir / "c.json", kExperiment);
  struct Setting {
    kernels::Path path;
    int threads;
  };
  std::vector<Setting> settings;
  for (const int t : {1, 2, 3}) settings.push_back({kernels::best_path(), t});
  for (const kernels::Path p : kernels::supported_paths()) {
    if (p != kernels::best_path()) settings.push_back({p, 2});
  }
  std::map<int64_t, testing::History> first;
  for (size_t i = 0; i < settings.size(); ++i) {
    const auto& [path, threads] = settings[i];
    const std::string where = std::string(kernels::path_name(path)) + ", " + std::to_string(threads) + " threads";
    const auto db = dir / ("run" + std::to_string(i) + ".db");
    submit(db, dir / "c.json");
    const auto r = run_seedline({"--db", db.string(), "daemon", "--once", "--threads", std::to_string(threads)}, "",
                                {}, {std::string("SEEDLINE_KERNELS=") + kernels::path_name(path)});
    ASSERT_EQ(r.exit_code, 0) << where << ": " << r.err;
    {
      auto conn = store::open_database(db, store::OpenPurpose::kRead);
      for (const auto& run : store::list_runs(conn)) EXPECT_EQ(run.kernel_version, 3) << where;
    }
    const auto histories = testing::read_histories(db);
    ASSERT_EQ(histories.size(), 2u) << where;
    if (i == 0) {
      first = histories;
      for (const auto& [run, h] : first) {
        EXPECT_EQ(h.state, "finished") << "run " << run;
        EXPECT_EQ(h.generations.size(), 4u) << "run " << run;
      }
      continue;
    }
    for (const auto& [run, h] : first) {
      EXPECT_EQ(testing::first_difference(h, histories.at(run)), "") << "run " << run << " on " << where;
    }
  }
}

TEST(KernelVersionRuns, RunsOfVersions1To3EachResumeToTheirUninterruptedHistory) {
  TempDir dir;
  write_file(dir / "c.json", kExperiment);
  std::map<int, std::map<int64_t, testing::History>> reference_of;
  for (const int version : {1, 2, 3}) {
    const auto reference = dir / ("ref" + std::to_string(version) + ".db");
    const auto crashed = dir / ("crashed" + std::to_string(version) + ".db");
    for (const auto& db : {reference, crashed}) {
      submit(db, dir / "c.json");
      auto conn = store::open_database(db, store::OpenPurpose::kWrite);
      conn.exec("UPDATE runs SET kernel_version = " + std::to_string(version));
    }
    const auto ref = run_seedline({"--db", reference.string(), "daemon", "--once", "--threads", "1"});
    ASSERT_EQ(ref.exit_code, 0) << ref.err;
    for (const std::string point : {"evaluate:1", "commit:2"}) {
      const auto r = run_seedline(
          {"--db", crashed.string(), "daemon", "--once", "--threads", "2", "--stale-after", kStaleArg}, "", {},
          {"SEEDLINE_CRASH_AT=" + point});
      EXPECT_EQ(r.signal, SIGKILL) << "version " << version << ": " << point << " did not fire; stderr: " << r.err;
      testing::sleep_seconds(kStale + 0.2);
    }
    for (int round = 0; round < 3; ++round) {
      const auto r = run_seedline({"--db", crashed.string(), "daemon", "--once", "--stale-after", kStaleArg});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      auto conn = store::open_database(crashed, store::OpenPurpose::kRead);
      if (store::unfinished_runs(conn, std::nullopt) == 0) break;
      testing::sleep_seconds(kStale + 0.2);
    }
    {
      auto conn = store::open_database(crashed, store::OpenPurpose::kRead);
      for (const auto& run : store::list_runs(conn)) EXPECT_EQ(run.kernel_version, version);
    }
    const auto expected = testing::read_histories(reference), actual = testing::read_histories(crashed);
    ASSERT_EQ(expected.size(), 2u);
    ASSERT_EQ(actual.size(), 2u);
    for (const auto& [run, h] : expected) {
      EXPECT_EQ(h.state, "finished") << "version " << version << " run " << run;
      EXPECT_EQ(h.generations.size(), 4u);
      EXPECT_EQ(testing::first_difference(h, actual.at(run)), "") << "version " << version << " run " << run;
    }
    reference_of[version] = expected;
  }
  // Version 2 moved only the transformer: an MLP run is version 1's, bit for bit. Version 3 may
  // differ in the last bits of a forward (and so in an episode's length); it is its own history.
  for (const auto& [run, h] : reference_of.at(1)) {
    EXPECT_EQ(testing::first_difference(h, reference_of.at(2).at(run)), "") << "run " << run;
  }
}

}  // namespace
}  // namespace seedline::runner
