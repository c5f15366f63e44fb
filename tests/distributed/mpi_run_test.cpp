// `seedline run/daemon --mpi` under a real `mpirun --oversubscribe`: the same histories and
// phylogenies as one process; a job whose worker rank is killed, resumed by a job of
// another size and then by a plain daemon, ends as the straight run; rank 0's heartbeat
// keeps a plain daemon off the live run; and the bytes the program counts per generation
// stay within the bound docs/distributed.md states. Skipped (with the reason) only when
// mpirun is missing or the binary was built without MPI.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "distributed/mpi_testing.hpp"
#include "runner/runner_testing.hpp"
#include "store/lineage_repo.hpp"
#include "store/run_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::distributed {
namespace {

using seedline::testing::read_file;
using seedline::testing::run_process;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;
namespace rt = seedline::runner::testing;

using testing::find_mpirun;
using testing::kMpiEnv;
using testing::mpirun;

// A background mpirun whose output goes to files.
class Job {
 public:
  Job(const std::vector<std::string>& argv, const std::filesystem::path& dir, const std::string& name)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(err, 2);
      for (const auto& kv : kMpiEnv) ::putenv(const_cast<char*>(kv.c_str()));
      std::vector<char*> raw;
      for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
  }
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;
  ~Job() {
    if (!waited_) {
      for (const pid_t p : descendants()) ::kill(p, SIGKILL);
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  // The pid of rank `rank` of this job (0 if not found yet).
  pid_t rank_pid(int rank) const {
    const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
    for (const pid_t pid : descendants()) {
      const auto env = read_file("/proc/" + std::to_string(pid) + "/environ");
      if (env.find(want + '\0') != std::string::npos || env.ends_with(want)) return pid;
    }
    return 0;
  }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string err() const { return read_file(err_); }

 private:
  static pid_t parent_of(pid_t pid) {
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after ')'.
    const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    return ppid;
  }
  // Every process below mpirun (its ranks).
  std::vector<pid_t> descendants() const {
    std::vector<pid_t> out;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return out;
    while (dirent* e = ::readdir(proc)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0 || pid == pid_) continue;
      try {
        for (pid_t p = parent_of(pid); p > 1; p = parent_of(p)) {
          if (p == pid_) {
            out.push_back(pid);
            break;
          }
        }
      } catch (const std::exception&) {
        // the process ended while we looked
      }
    }
    ::closedir(proc);
    return out;
  }

  pid_t pid_ = -1;
  bool waited_ = false;
  std::filesystem::path out_, err_;
};

int committed_generations(const std::filesystem::path& db_path, int64_t run) {
  auto db = store::open_database(db_path, store::OpenPurpose::kRead);
  return static_cast<int>(store::list_generations(db, run).size());
}

// Waits until `run` has at least `n` committed generations (or 60 s).
void wait_for_generations(const std::filesystem::path& db, int64_t run, int n) {
  for (int i = 0; i < 6000 && committed_generations(db, run) < n; ++i) rt::sleep_seconds(0.01);
}

void expect_same_histories(const std::filesystem::path& a, const std::filesystem::path& b, const std::string& label) {
  const auto x = rt::read_histories(a), y = rt::read_histories(b);
  ASSERT_EQ(x.size(), y.size()) << label;
  for (const auto& [run, h] : x) {
    EXPECT_EQ(h.state, "finished") << label << " run " << run;
    EXPECT_EQ(rt::first_difference(h, y.at(run)), "") << label << " run " << run;
  }
}

TEST(MpiRun, ThreeRanksGiveTheHistoriesAndPhylogeniesOfOneProcessWithinTheByteBound) {
  REQUIRE_MPI();
  TempDir dir;
  for (const auto& [name, spec] : {std::pair<std::string, const char*>{"sphere", rt::kSphereExperiment},
                                   std::pair<std::string, const char*>{"cartpole", rt::kCartpoleExperiment}}) {
    SCOPED_TRACE(name);
    const auto file = dir / (name + ".json");
    write_file(file, spec);
    const auto plain = dir / (name + "-plain.db"), spread = dir / (name + "-mpi.db");
    const auto stats = dir / (name + "-wire.jsonl");
    const auto r1 = run_seedline({"--db", plain.string(), "run", file.string(), "--threads", "2"});
    ASSERT_EQ(r1.exit_code, 0) << r1.err;
    const auto r3 = run_process(mpirun(3, {"--db", spread.string(), "run", "--mpi", file.string(), "--threads", "1",
                                           "--wire-stats", stats.string()}),
                                "", {}, kMpiEnv);
    ASSERT_EQ(r3.exit_code, 0) << r3.err;
    EXPECT_NE(r3.err.find("seedline mpi: 3 ranks"), std::string::npos) << r3.err;
    expect_same_histories(plain, spread, name);
    for (const char* run : {"1", "2"}) {
      const auto a = dir / (name + "-plain-" + run + ".csv"), b = dir / (name + "-mpi-" + run + ".csv");
      ASSERT_EQ(run_seedline({"--db", plain.string(), "phylogeny", "--run", run, "--out", a.string()}).exit_code, 0);
      ASSERT_EQ(run_seedline({"--db", spread.string(), "phylogeny", "--run", run, "--out", b.string()}).exit_code, 0);
      EXPECT_EQ(read_file(a), read_file(b)) << "run " << run;
      EXPECT_GT(read_file(a).size(), 100u);
    }
    // The bound (docs/distributed.md): work, results and failures at most 64 bytes per
    // evaluated item; the selection at most 10 bytes per parent + 10 per worker.
    std::ifstream in(stats);
    int lines = 0;
    for (std::string line; std::getline(in, line); ++lines) {
      const auto j = nlohmann::json::parse(line);
      const auto bytes = [&](const char* side, const char* kind) -> int64_t {
        return j[side].contains(kind) ? j[side][kind]["bytes"].get<int64_t>() : 0;
      };
      const int64_t items = bytes("sent", "work") + bytes("received", "results") + bytes("received", "failure");
      EXPECT_LE(items, 64 * j["evaluated"].get<int64_t>()) << line;
      const int parents = name == "sphere" ? 4 : 3;  // the experiments' last-stage keep
      EXPECT_LE(bytes("sent", "selection"), 2 * (10 * parents + 10)) << line;
      EXPECT_EQ(bytes("sent", "genotype"), 0) << line;  // fresh runs
      EXPECT_GT(j["evaluated"].get<int64_t>(), 0) << line;
    }
    EXPECT_EQ(lines, name == "sphere" ? 16 : 12);  // 2 runs x 8 or 6 generations
  }
}

// One long sphere run (a few seconds), so a job can be killed in the middle of it.
const char* kLongRun = R"({
  "name": "long", "seed": 9, "trials": 1,
  "task": {"type": "sphere", "shift": 0.25},
  "network": [{"type": "dense", "in": 16, "out": 16}],
  "ga": {"population": 24, "elites": 1, "generations": 250, "mutation_rate": 0.05, "snapshot_every": 20,
         "stages": [{"evaluations": 1, "keep": 6}]},
  "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})";

TEST(MpiRun, AKilledWorkerRankThenTwoRanksThenAPlainDaemonEndAsTheStraightRun) {
  REQUIRE_MPI();
  TempDir dir;
  const auto file = dir / "long.json";
  write_file(file, kLongRun);
  const auto straight = dir / "straight.db", broken = dir / "broken.db";
  for (const auto& db : {straight, broken}) {
    ASSERT_EQ(run_seedline({"--db", db.string(), "submit", file.string()}).exit_code, 0);
  }
  ASSERT_EQ(run_seedline({"--db", straight.string(), "daemon", "--once", "--threads", "1"}).exit_code, 0);

  const std::vector<std::string> daemon = {"--db", broken.string(), "daemon", "--mpi", "--once", "--threads", "1",
                                           "--stale-after", "0.5"};
  int before = 0;
  {
    Job job(mpirun(3, daemon), dir.path(), "three");
    wait_for_generations(broken, 1, 20);
    // While rank 0 heartbeats, a plain daemon finds nothing to take.
    const auto other = run_seedline({"--db", broken.string(), "daemon", "--once", "--stale-after", "0.5"});
    EXPECT_EQ(other.exit_code, 0) << other.err;
    EXPECT_NE(other.out.find("0 finished, 0 paused, 0 failed"), std::string::npos) << other.out << other.err;
    EXPECT_EQ(other.err.find("claimed run"), std::string::npos) << other.err;
    const pid_t worker = job.rank_pid(2);
    ASSERT_GT(worker, 0) << "rank 2 of the job not found";
    ::kill(worker, SIGKILL);
    EXPECT_NE(job.wait(), 0) << "the job survived its killed rank";
    before = committed_generations(broken, 1);
    ASSERT_LT(before, 250) << "the run finished before the kill: the test proved nothing";
  }
  rt::sleep_seconds(0.8);  // the dead job's heartbeat goes stale
  const auto wire = dir / "two.jsonl";
  {
    auto args = daemon;
    args.insert(args.end(), {"--wire-stats", wire.string()});
    Job job(mpirun(2, args), dir.path(), "two");
    wait_for_generations(broken, 1, before + 20);
    const pid_t worker = job.rank_pid(1);
    ASSERT_GT(worker, 0) << "rank 1 of the job not found";
    ::kill(worker, SIGKILL);
    EXPECT_NE(job.wait(), 0);
    const int after = committed_generations(broken, 1);
    ASSERT_GT(after, before) << "the second job did not resume the run";
    ASSERT_LT(after, 250) << "the run finished before the kill: the test proved nothing";
    EXPECT_NE(job.err().find("claimed run 1"), std::string::npos) << job.err();
  }
  // The resumed run's 6 parents crossed once, to the one worker, in its first generation on
  // the job; never again.
  {
    std::ifstream in(wire);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    const auto first = nlohmann::json::parse(line);
    EXPECT_EQ(first["sent"]["genotype"]["messages"], 6) << line;
    EXPECT_GT(first["one_off_bytes"].get<int64_t>(), 6 * 256 * 4) << line;  // 6 x (16 x 16 + 16) floats
    while (std::getline(in, line)) EXPECT_FALSE(nlohmann::json::parse(line)["sent"].contains("genotype")) << line;
  }
  rt::sleep_seconds(0.8);
  const auto last =
      run_seedline({"--db", broken.string(), "daemon", "--once", "--threads", "2", "--stale-after", "0.5"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  expect_same_histories(straight, broken, "killed twice");
}

// Two ES conditions (Adam and SGD), so a resumed run sends its center's optimizer state.
const char* kEsRun = R"({
  "name": "es-mpi", "seed": 21, "trials": 1,
  "task": {"type": "sphere", "shift": 0.25},
  "network": [{"type": "dense", "in": 8, "out": 8}],
  "ga": {"population": 16, "generations": 12, "snapshot_every": 5},
  "conditions": [
    {"name": "es-adam", "algorithm": {"type": "es", "sigma": 0.05, "learning_rate": 0.03, "optimizer": "adam"}},
    {"name": "eggroll-sgd", "algorithm": {"type": "es", "sigma": 0.05, "learning_rate": 0.02,
                                          "perturbation": {"type": "lowrank", "rank": 2}}}]})";

TEST(MpiRun, EsRunsKilledOnThreeRanksAndResumedOnTwoEndAsTheThreadedRun) {
  REQUIRE_MPI();
  TempDir dir;
  const auto file = dir / "es.json";
  write_file(file, kEsRun);
  const auto plain = dir / "plain.db", spread = dir / "spread.db";
  for (const auto& db : {plain, spread}) {
    ASSERT_EQ(run_seedline({"--db", db.string(), "submit", file.string()}).exit_code, 0);
  }
  ASSERT_EQ(run_seedline({"--db", plain.string(), "daemon", "--once", "--threads", "2"}).exit_code, 0);
  // Rank 0 dies inside generation 7's commit: generation 6 is the last one stored, so the
  // resumed run rebuilds center 7 from center 5's snapshot plus two updates.
  auto env = kMpiEnv;
  env.push_back("SEEDLINE_CRASH_AT=commit:7");
  const std::vector<std::string> daemon = {"--db", spread.string(), "daemon", "--mpi", "--once", "--threads", "1",
                                           "--stale-after", "0.5"};
  const auto killed = run_process(mpirun(3, daemon), "", {}, env);
  EXPECT_NE(killed.exit_code, 0) << "the crash point did not fire: " << killed.err;
  EXPECT_EQ(committed_generations(spread, 1), 7);
  rt::sleep_seconds(0.8);
  const auto wire = dir / "two.jsonl";
  auto args = daemon;
  args.insert(args.end(), {"--wire-stats", wire.string()});
  const auto resumed = run_process(mpirun(2, args), "", {}, kMpiEnv);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_same_histories(plain, spread, "ES killed on 3 ranks, resumed on 2");
  // Each run's center and optimizer state cross once, in its first generation on the job (a
  // resumed run's center and Adam moments, a fresh run's center 0 and empty SGD state); each
  // generation's update is the members' seeds, signs and fitnesses: at most 20 bytes a
  // member + 20.
  std::ifstream in(wire);
  std::set<int64_t> seen;
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    const int64_t run = j["run"].get<int64_t>();
    if (seen.insert(run).second) {
      EXPECT_EQ(j["sent"]["genotype"]["messages"], 1) << line;
      EXPECT_EQ(j["sent"]["es_state"]["messages"], 1) << line;
      if (run == 1) {
        EXPECT_GT(j["sent"]["es_state"]["bytes"].get<int64_t>(), 2 * 72 * 4) << line;  // m, v: 72 values
      }
    } else {
      EXPECT_FALSE(j["sent"].contains("es_state")) << line;
      EXPECT_FALSE(j["sent"].contains("genotype")) << line;
    }
    EXPECT_LE(j["sent"]["center_update"]["bytes"].get<int64_t>(), 20 * 16 + 20) << line;
    EXPECT_FALSE(j["sent"].contains("selection")) << line;
  }
  EXPECT_EQ(lines, 5 + 12);  // run 1's generations 7..11, run 2's 0..11
}

}  // namespace
}  // namespace seedline::distributed
