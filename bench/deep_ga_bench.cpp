// Deep GA scale on one machine: the Deep GA's 4,000,000-parameter network at population
// 1,000 (Such et al.'s Atari setting: truncation 20), streamed by the LocalExecutor.
//
// Measured side by side in one run (a sphere on one dense 2000 x 2000 tensor + bias,
// 4,002,000 float32 values, direct representation, noise v1):
//   replay     Genome::mutate in place: one replay step, the baseline (bench/replay_bench.cpp)
//   member     Genome::mutate_into(parent -> scratch): building one streamed member
//              (target: >= 0.8 x the replay throughput); both per second of the thread's
//              CPU time, best of 15 interleaved rounds
//   streamed   a whole 2-generation run at population POPULATION, truncation 20, on THREADS
//              threads, in a child process: its peak RSS (target: <= 1 GiB) and members/s
//   materialized  the old way at a population where it still fits (MATERIALIZED): every
//              member's genotype built and held at once, then scored; its peak RSS, and
//              that figure scaled to POPULATION
// Peak RSS comes from wait4's rusage of a forked child, so each figure is its own process's.
// Usage: deep_ga_bench [POPULATION (1000)] [MATERIALIZED (48)] [THREADS (2)]
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <utility>
#include <vector>

#include "evolve/experiment.hpp"
#include "genome/run_genome.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "runner/thread_pool.hpp"
#include "store/migrations.hpp"
#include "tasks/function_tasks.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

std::string experiment_json(int population) {
  return R"({"name": "deep-ga-bench", "seed": 1, "task": {"type": "sphere"},
    "network": [{"type": "dense", "in": 2000, "out": 2000}],
    "ga": {"population": )" + std::to_string(population) +
         R"(, "truncation": 20, "elites": 1, "generations": 2, "sigma": 0.002, "snapshot_every": 0}})";
}

// CPU seconds of the calling thread: on a machine shared with other jobs, wall time
// measures the scheduler; the thread's CPU time measures the work.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Best thread-CPU time of each body over `reps` rounds, the bodies interleaved so that a
// change in the machine's load affects both alike.
template <typename A, typename B>
std::pair<double, double> best_interleaved(int reps, A&& a, B&& b) {
  double best_a = 1e30, best_b = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t0 = thread_cpu_seconds();
    a();
    best_a = std::min(best_a, thread_cpu_seconds() - t0);
    t0 = thread_cpu_seconds();
    b();
    best_b = std::min(best_b, thread_cpu_seconds() - t0);
  }
  return {best_a, best_b};
}

struct ChildFigures {
  double seconds = 0;
  double peak_gib = 0;
  bool ok = false;
};

// Runs `body` in a forked child; its wall time and peak RSS.
ChildFigures in_child(const std::function<int()>& body) {
  std::fflush(stdout);
  const auto t0 = Clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  ChildFigures f;
  f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  f.peak_gib = static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);
  f.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int population = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int materialized = argc > 2 ? std::atoi(argv[2]) : 48;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  if (population < 21 || materialized < 1 || threads < 1) {
    std::fprintf(stderr, "usage: deep_ga_bench [POPULATION >= 21] [MATERIALIZED >= 1] [THREADS >= 1]\n");
    return 2;
  }
  const auto spec = evolve::parse_experiment(experiment_json(population), "deep_ga_bench");
  const genome::Genome g = genome::genome_for_condition(spec.conditions[0], 1);
  const double params = static_cast<double>(g.genotype_size());
  std::printf("network: %zu float32 parameters (%.1f MB per genotype); population %d, truncation 20, %d threads\n\n",
              g.genotype_size(), params * 4 / 1e6, population, threads);

  // The children are forked before this process starts any thread.
  const auto dir = std::filesystem::temp_directory_path() / ("seedline-deep-ga-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto streamed = in_child([&] {
    auto db = store::open_database(dir / "run.db", store::OpenPurpose::kCreate);
    runner::submit_experiment(db, evolve::parse_experiment(experiment_json(population), "bench"), "bench");
    runner::DaemonOptions options;
    options.threads = threads;
    options.once = true;
    std::atomic<bool> stop{false};
    const auto report = runner::run_daemon(db, options, stop);
    return report.finished.size() == 1 ? 0 : 1;
  });
  const auto old_way = in_child([&] {
    // As the runner did before streaming: the whole generation's genotypes in memory at once.
    const auto parent = g.init(1);
    std::vector<std::vector<float>> members(static_cast<size_t>(materialized));
    runner::ThreadPool pool(threads);
    const tasks::SphereTask sphere(0.0);
    std::vector<double> fitness(members.size());
    pool.parallel_for(members.size(), [&](size_t i, int) {
      members[i] = parent;
      g.mutate(members[i], 1000 + i);
    });
    pool.parallel_for(members.size(), [&](size_t i, int) { fitness[i] = sphere.score(members[i]); });
    return fitness[0] < 0 ? 0 : 1;
  });
  std::filesystem::remove_all(dir);

  auto x = g.init(1);
  std::vector<float> scratch(g.genotype_size());
  uint64_t seed = 7;
  const auto [replay, member] =
      best_interleaved(15, [&] { g.mutate(x, ++seed); }, [&] { g.mutate_into(x, ++seed, scratch); });

  std::printf("%-58s %12s %12s\n", "figure", "measured", "target");
  std::printf("%-58s %9.1f /s %12s\n", "replay steps per CPU second, one thread (noise v1, in place)", 1 / replay, "baseline");
  std::printf("%-58s %9.1f /s %12s\n", "members built per CPU second per thread (parent -> scratch)", 1 / member, "");
  std::printf("%-58s %12.2f %12s\n", "  member building / replay throughput", replay / member, ">= 0.8");
  std::printf("%-58s %8.2f GiB %12s\n", ("peak RSS, streamed run, population " + std::to_string(population)).c_str(),
              streamed.peak_gib, "<= 1 GiB");
  std::printf("%-58s %9.1f /s %12s\n", "  members evaluated per second (2 generations, whole run)",
              2.0 * population / streamed.seconds, "");
  std::printf("%-58s %8.2f GiB %12s\n",
              ("peak RSS, materialized generation, population " + std::to_string(materialized)).c_str(),
              old_way.peak_gib, "baseline");
  std::printf("%-58s %8.1f GiB %12s\n", ("  materialized, scaled to population " + std::to_string(population)).c_str(),
              old_way.peak_gib * population / materialized, "");
  if (!streamed.ok || !old_way.ok) {
    std::fprintf(stderr, "a child process failed (streamed ok=%d, materialized ok=%d)\n", streamed.ok, old_way.ok);
    return 1;
  }
  return 0;
}
