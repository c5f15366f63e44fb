// Rebuild latency of a deep individual: a 1,000,000-parameter genotype (one bias-free dense
// 1000x1000 layer, direct representation, noise v1) at generation 300 of a run that stores
// snapshots every 25 generations (target: <= 50 ms).
//
// Writes the lineage the way the runner does (a line of descent, checksums on every parent,
// snapshots of the parents of generations 25, 50, ..., 275) into a temporary database with the
// library API, then times lineage::rebuild of the generation-300 individual (25 replay steps
// from the generation-275 snapshot: the worst case for snapshot_every 25) with a fresh
// GenotypeCache each time, and of the generation-275 individual (snapshot only), on 1 and 2
// threads (the replay split by element ranges; target: <= 25 ms on 2 threads).
// Usage: rebuild_bench [DB_PATH]   (default: a file in the temp directory, removed at the end)
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <vector>

#include "evolve/experiment.hpp"
#include "genome/run_genome.hpp"
#include "lineage/rebuild.hpp"
#include "runner/thread_pool.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "store/snapshot_repo.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

constexpr const char* kExperiment = R"({"name": "rebuild-bench", "seed": 1, "task": {"type": "sphere"},
  "network": [{"type": "dense", "in": 1000, "out": 1000, "bias": false}],
  "ga": {"mutation_rate": 0.01, "snapshot_every": 25},
  "conditions": [{"name": "direct", "representation": {"type": "direct"}}]})";

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double process_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return 1e3 * static_cast<double>(ts.tv_sec) + 1e-6 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path path =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::temp_directory_path() / ("seedline-rebuild-bench-" + std::to_string(::getpid()) + ".db");
  const bool remove_after = argc <= 1;
  std::filesystem::remove(path);
  constexpr int kGenerations = 300;
  constexpr int kSnapshotEvery = 25;
  int64_t leaf = 0, snapshotted = 0;
  {
    auto db = store::open_database(path, store::OpenPurpose::kCreate);
    const auto spec = evolve::parse_experiment(kExperiment, "rebuild_bench");
    const int64_t e = store::insert_experiment(db, spec.name, spec.source.dump());
    const int64_t c = store::insert_condition(db, e, 0, "direct", spec.conditions[0].to_json().dump());
    const int64_t run = store::insert_run(db, e, c, 0, evolve::run_seed(spec.seed, 0, 0), 1);
    const genome::Genome g = genome::genome_for_run(db, run);
    std::printf("genotype: %zu float32 parameters; %d generations, snapshot every %d\n", g.genotype_size(),
                kGenerations, kSnapshotEvery);
    const auto t0 = Clock::now();
    store::Transaction tx(db);
    std::vector<float> x;
    std::optional<int64_t> parent;
    for (int gen = 0; gen <= kGenerations; ++gen) {
      const uint64_t seed = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(gen + 1);
      if (gen == 0) x = g.init(seed);
      else g.mutate(x, seed);
      const bool is_parent = gen < kGenerations;
      const store::NewIndividual n{parent, seed, gen, 0.0,
                                   is_parent ? std::optional<uint64_t>(genome::Genome::checksum(x)) : std::nullopt};
      const int64_t id = store::insert_individuals(db, run, std::span(&n, 1)).first;
      if (is_parent && gen > 0 && gen % kSnapshotEvery == 0) {
        lineage::write_snapshot(db, run, id, x, genome::Genome::checksum(x));
        snapshotted = id;
      }
      parent = id;
      leaf = id;
    }
    tx.commit();
    std::printf("wrote the lineage and %d snapshots in %.0f ms\n", kGenerations / kSnapshotEvery - 1, ms_since(t0));
  }

  auto db = store::open_database(path, store::OpenPurpose::kRead);
  const genome::Genome g = genome::genome_for_run(db, store::get_individual(db, leaf).run_id);
  for (const int threads : {1, 2}) {
    runner::ThreadPool pool(threads);
    // Each replay split over the pool's threads (element ranges; the same bits as one thread).
    const auto ops = g.ops([&pool](size_t n, const std::function<void(size_t)>& piece) {
      pool.parallel_for(n, [&](size_t i, int) { piece(i); });
    });
    std::printf("%d thread%s:\n", threads, threads == 1 ? "" : "s");
    for (const auto& [what, id] : {std::pair<const char*, int64_t>{"generation 300 (25 replay steps)", leaf},
                                   std::pair<const char*, int64_t>{"generation 275 (its own snapshot)", snapshotted}}) {
      std::vector<double> times;
      lineage::RebuildStats stats;
      double cpu = 0, wall = 0;
      for (int rep = 0; rep < 7; ++rep) {
        lineage::GenotypeCache cache;  // fresh: nothing cached
        const double c0 = process_cpu_ms();
        const auto t0 = Clock::now();
        const auto genotype = lineage::rebuild(db, id, ops, &cache, &stats);
        times.push_back(ms_since(t0));
        cpu += process_cpu_ms() - c0;
        wall += times.back();
        if (genotype.size() != g.genotype_size()) return 1;
      }
      std::sort(times.begin(), times.end());
      // cores got = CPU time / wall time: on a busy machine it shows how much of the
      // threads' time the scheduler really gave (2 threads on 2 idle cores: near 2).
      std::printf("  rebuild %-34s median %6.1f ms  min %6.1f ms  (replayed %d steps, verified %d checksums; "
                  "cores got %.2f)\n",
                  what, times[times.size() / 2], times.front(), stats.steps_replayed, stats.checksums_verified,
                  cpu / wall);
    }
  }
  // Where the time goes: the parts of the generation-300 rebuild timed one by one (medians of
  // 7), so the serial share (query, snapshot read and decode) is visible beside the replay.
  {
    const auto median_ms = [](const std::function<void()>& fn) {
      std::vector<double> t;
      for (int rep = 0; rep < 7; ++rep) {
        const auto t0 = Clock::now();
        fn();
        t.push_back(ms_since(t0));
      }
      std::sort(t.begin(), t.end());
      return t[t.size() / 2];
    };
    std::vector<float> x = lineage::rebuild(db, snapshotted, g.ops());
    std::printf("parts (1 thread unless said):\n");
    std::printf("  ancestor query                %6.2f ms\n",
                median_ms([&] { (void)store::ancestor_path_to_snapshot(db, leaf); }));
    std::printf("  snapshot read (blob, frames)  %6.2f ms\n",
                median_ms([&] { (void)store::open_snapshot(db, snapshotted); }));
    std::printf("  snapshot read and decode      %6.2f ms\n",
                median_ms([&] { (void)store::find_snapshot(db, snapshotted); }));
    std::printf("  one checksum (xxh64)          %6.2f ms\n", median_ms([&] { (void)genome::Genome::checksum(x); }));
    std::printf("  one mutation                  %6.2f ms\n", median_ms([&] { g.mutate(x, 12345); }));
    runner::ThreadPool pool(2);
    const auto ops2 = g.ops([&pool](size_t n, const std::function<void(size_t)>& piece) {
      pool.parallel_for(n, [&](size_t i, int) { piece(i); });
    });
    std::printf("  one mutation, 2 threads       %6.2f ms\n", median_ms([&] { ops2.mutate(x, 12345); }));
    std::printf("  checksum then mutation, 2 thr %6.2f ms\n",
                median_ms([&] { (void)ops2.checksum_then_mutate(x, 12345); }));
  }
  if (remove_after) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
  return 0;
}
