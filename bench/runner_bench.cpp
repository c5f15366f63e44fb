// Runner figures, each printed beside its target:
//   1. database time per generation as a share of generation time (target <= 1%): the
//      commit transaction (newborn rows, checksums, snapshots, summary) against the whole
//      generation, on the paper-sized CartPole setup below (direct condition);
//   2. CartPole evaluations per second with 1 and 2 threads (target ratio >= 1.8);
//   3. environment steps per generation at generation G (default 40) for the factorized and
//      the direct condition (no target: reported as seen; early-terminating bad policies are
//      cheap, so the cost of a generation follows how good the population is).
// Usage: runner_bench [GENERATIONS_FOR_1_AND_2 (default 12)] [G (default 40)] [DB_DIR (default /tmp)]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "evolve/experiment.hpp"
#include "runner/run_driver.hpp"
#include "runner/submit.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "store/run_repo.hpp"

namespace {

using namespace seedline;

// The cartpole network of examples/cartpole.json at the paper's GA scale (population 128,
// stages 2x128 + 4x32; the example itself is smaller so the demo is quick), with one trial
// of one condition and a configurable generation count.
std::string experiment(int generations, const std::string& condition) {
  const std::string representation =
      condition == "factorized" ? R"({"type": "factorized", "rank": 2})" : R"({"type": "direct"})";
  return R"({"name": "bench", "seed": 7, "trials": 1,
    "task": {"type": "cartpole", "episodes": 2},
    "network": [{"type": "dense", "out": 64, "activation": "tanh"},
                {"type": "dense", "out": 64, "activation": "tanh"}, {"type": "dense", "out": 2}],
    "ga": {"population": 128, "truncation": 16, "elites": 1, "generations": )" +
         std::to_string(generations) + R"(, "mutation_rate": 0.01,
           "stages": [{"evaluations": 2, "keep": 32}, {"evaluations": 4, "keep": 16}], "snapshot_every": 10},
    "conditions": [{"name": ")" + condition + R"(", "representation": )" + representation + "}]}";
}

struct Totals {
  double build = 0, eval = 0, commit = 0, total = 0;
  double wall = 0, cpu = 0;  // of the whole drive, to tell a busy machine from poor scaling
  int64_t evaluations = 0, steps = 0;
  std::vector<int64_t> steps_per_generation;
};

// Submits the experiment into a fresh database and drives the run of `condition` on `threads`.
Totals drive(const std::filesystem::path& dir, int generations, const std::string& condition, int threads) {
  const auto path = dir / ("runner-bench-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  Totals t;
  const auto wall0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  {
    auto db = store::open_database(path, store::OpenPurpose::kCreate);
    const auto s = runner::submit_experiment(db, evolve::parse_experiment(experiment(generations, condition), "bench"), "bench");
    runner::ThreadPool pool(threads);
    runner::DriverOptions options;
    options.on_generation = [&](const runner::GenerationTiming& g) {
      t.build += g.build_seconds;
      t.eval += g.eval_seconds;
      t.commit += g.commit_seconds;
      t.total += g.total_seconds;
      t.evaluations += g.evaluations;
      t.steps += g.steps;
      t.steps_per_generation.push_back(g.steps);
    };
    for (;;) {
      const auto run = store::claim_run(db, {"bench", 1e9, 60, s.experiment_id});
      if (!run) break;
      const auto r = runner::drive_run(db, *run, "bench", pool, options);
      if (r.outcome != runner::RunOutcome::kFinished) std::fprintf(stderr, "run failed: %s\n", r.message.c_str());
    }
  }
  t.cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const int generations = argc > 1 ? std::atoi(argv[1]) : 12;
  const int at = argc > 2 ? std::atoi(argv[2]) : 40;
  const std::filesystem::path dir = argc > 3 ? argv[3] : "/tmp";

  std::printf("CartPole, 64-64 tanh MLP, population 128, stages 2x128 + 4x32\n\n");
  const auto one = drive(dir, generations, "direct", 1);
  const auto two = drive(dir, generations, "direct", 2);
  const double share = one.commit / one.total;
  std::printf("1. database time per generation (direct, %d generations, 1 thread)\n", generations);
  std::printf("   commit %.2f ms / generation %.1f ms = %.3f%%   (target <= 1%%)  %s\n",
              1e3 * one.commit / generations, 1e3 * one.total / generations, 100 * share,
              share <= 0.01 ? "ok" : "MISSED");
  const double eps1 = one.evaluations / one.eval, eps2 = two.evaluations / two.eval;
  std::printf("2. evaluations/s: 1 thread %.0f, 2 threads %.0f, ratio %.2fx   (target >= 1.8x)  %s\n", eps1, eps2,
              eps2 / eps1, eps2 / eps1 >= 1.8 ? "ok" : "MISSED");
  std::printf("   (steps/s: 1 thread %.0f, 2 threads %.0f; the two runs are the same evolution)\n",
              one.steps / one.eval, two.steps / two.eval);
  std::printf("   (cores actually used, cpu/wall: 1 thread %.2f, 2 threads %.2f; below ~1.9 the machine was busy)\n",
              one.cpu / one.wall, two.cpu / two.wall);

  const auto factorized = drive(dir, at + 1, "factorized", 2);
  const auto direct = drive(dir, at + 1, "direct", 2);
  const auto f = factorized.steps_per_generation.at(static_cast<size_t>(at));
  const auto d = direct.steps_per_generation.at(static_cast<size_t>(at));
  std::printf("3. environment steps in generation %d: factorized %lld, direct %lld, ratio %.2f (reported, no target)\n",
              at, static_cast<long long>(f), static_cast<long long>(d), static_cast<double>(f) / static_cast<double>(d));
  std::printf("   generation time there: factorized %.1f s total for %d generations, direct %.1f s\n", factorized.total,
              at + 1, direct.total);
  return 0;
}
