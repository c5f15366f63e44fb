// Helpers for runner tests: small experiment files, background `seedline` processes that
// can be killed, and a run's recorded history (lineage + per-generation fitness + per-stage
// evaluations and steps) in a form that compares equal across databases when the evolution
// was the same.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "store/stage_repo.hpp"
#include "support/process.hpp"

namespace seedline::runner::testing {

// Sphere on a 8x8 phenotype (plus bias), two conditions, one trial each: two runs of eight
// generations that take a few milliseconds. Two stages so the truncation path is exercised.
inline const char* kSphereExperiment = R"({
  "name": "sphere-resume", "seed": 42, "trials": 1,
  "task": {"type": "sphere", "shift": 0.5},
  "network": [{"type": "dense", "in": 8, "out": 8}],
  "ga": {"population": 16, "elites": 2, "generations": 8, "mutation_rate": 0.05, "snapshot_every": 3,
         "stages": [{"evaluations": 1, "keep": 8}, {"evaluations": 1, "keep": 4}]},
  "conditions": [
    {"name": "factorized", "representation": {"type": "factorized", "rank": 2}},
    {"name": "direct", "representation": {"type": "direct"}}]})";

// A tiny CartPole: two trials of six generations with shared episode seeds and two stages.
inline const char* kCartpoleExperiment = R"({
  "name": "cartpole-resume", "seed": 3, "trials": 2,
  "task": {"type": "cartpole", "episodes": 1, "max_steps": 120},
  "network": [{"type": "dense", "out": 6, "activation": "tanh"}, {"type": "dense", "out": 2}],
  "ga": {"population": 12, "elites": 1, "generations": 6, "mutation_rate": 0.05, "snapshot_every": 4,
         "stages": [{"evaluations": 1, "keep": 6}, {"evaluations": 2, "keep": 3}]},
  "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})";

// A child process whose output goes to files, so it can run while the test does other things.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& dir, const std::string& name,
        const std::vector<std::string>& extra_env = {})
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(err, 2);
      for (const auto& kv : extra_env) ::putenv(const_cast<char*>(kv.c_str()));
      std::vector<std::string> argv{seedline::testing::seedline_bin().string()};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }
  // Waits for the exit; returns {exit code (-1 if signalled), signal (0 if exited)}.
  std::pair<int, int> wait() {
    if (!waited_) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      waited_ = true;
      status_ = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
    }
    return status_;
  }
  std::string out() const { return seedline::testing::read_file(out_); }
  std::string err() const { return seedline::testing::read_file(err_); }

 private:
  pid_t pid_ = -1;
  bool waited_ = false;
  std::pair<int, int> status_{-1, 0};
  std::filesystem::path out_, err_;
};

// A run's history with everything that depends on the evolution and nothing on timing.
struct History {
  struct Individual {
    int64_t id;
    int generation;
    std::optional<int64_t> parent;
    uint64_t seed;
    std::optional<double> fitness;
    std::optional<uint64_t> checksum;
    bool operator==(const Individual&) const = default;
  };
  struct Generation {
    int generation;
    int64_t first, last, best_individual;
    double best, mean, median, std;
    std::vector<int64_t> parents;
    int64_t evaluations, steps;
    bool operator==(const Generation&) const = default;
  };
  // Per-stage records without their wall seconds (timing differs between runs).
  struct Stage {
    int generation, stage;
    int64_t evaluations, steps;
    bool operator==(const Stage&) const = default;
  };
  std::string state;
  std::vector<Individual> individuals;
  std::vector<Generation> generations;
  std::vector<Stage> stages;
  bool operator==(const History&) const = default;
};

// Ids relative to the run's first individual when `relative`, so runs that two daemons
// interleaved compare equal to the same runs done one after the other.
inline std::map<int64_t, History> read_histories(const std::filesystem::path& db_path, bool relative = false) {
  auto db = store::open_database(db_path, store::OpenPurpose::kRead);
  std::map<int64_t, History> out;
  for (const auto& run : store::list_runs(db)) {
    History h;
    h.state = std::string(store::run_state_name(run.state));
    const auto rows = store::individuals_of_run(db, run.id);
    std::map<int64_t, int64_t> index;
    for (size_t i = 0; i < rows.size(); ++i) index[rows[i].id] = relative ? static_cast<int64_t>(i) : rows[i].id;
    const auto map_id = [&](int64_t id) { return index.count(id) ? index.at(id) : -1000000 - id; };
    for (const auto& r : rows) {
      h.individuals.push_back({map_id(r.id), r.generation,
                               r.parent ? std::optional<int64_t>(map_id(*r.parent)) : std::nullopt, r.seed, r.fitness,
                               r.checksum});
    }
    for (const auto& g : store::list_generations(db, run.id)) {
      std::vector<int64_t> parents;
      for (int64_t p : g.parents) parents.push_back(map_id(p));
      h.generations.push_back({g.generation, map_id(g.first_individual), map_id(g.last_individual),
                               map_id(g.best_individual), g.best, g.mean, g.median, g.std, parents, g.evaluations,
                               g.steps});
    }
    for (const auto& st : store::list_stages(db, run.id)) {
      h.stages.push_back({st.generation, st.stage, st.record.evaluations, st.record.steps});
    }
    out[run.id] = std::move(h);
  }
  return out;
}

// "" when equal, else where two histories first differ.
inline std::string first_difference(const History& a, const History& b) {
  if (a.state != b.state) return "state " + a.state + " vs " + b.state;
  if (a.individuals.size() != b.individuals.size()) {
    return std::to_string(a.individuals.size()) + " vs " + std::to_string(b.individuals.size()) + " individuals";
  }
  for (size_t i = 0; i < a.individuals.size(); ++i) {
    if (!(a.individuals[i] == b.individuals[i])) return "individual #" + std::to_string(i) + " (id " + std::to_string(a.individuals[i].id) + ")";
  }
  if (a.generations.size() != b.generations.size()) {
    return std::to_string(a.generations.size()) + " vs " + std::to_string(b.generations.size()) + " generations";
  }
  for (size_t i = 0; i < a.generations.size(); ++i) {
    if (!(a.generations[i] == b.generations[i])) return "generation " + std::to_string(i) + " summary";
  }
  if (a.stages.size() != b.stages.size()) {
    return std::to_string(a.stages.size()) + " vs " + std::to_string(b.stages.size()) + " stage records";
  }
  for (size_t i = 0; i < a.stages.size(); ++i) {
    if (!(a.stages[i] == b.stages[i])) {
      return "stage record #" + std::to_string(i) + " (generation " + std::to_string(a.stages[i].generation) + ")";
    }
  }
  return "";
}

inline void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace seedline::runner::testing
