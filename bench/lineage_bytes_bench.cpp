// Bytes on disk per individual, the lineage store's headline figure (target: <= 64).
//
// Builds a synthetic run the way the runner writes one: populations of 1000, truncation
// selection of the best 10 as parents (1%), one elite carried (same row, no new individual),
// 999 children per generation of uniformly chosen parents with random 64-bit seeds and
// non-integral fitness, checksums set on every individual that became a parent, and one
// generation summary row (with its parents blob) per generation, each generation in one
// transaction. Then VACUUMs and divides the file's pages by the individuals. Snapshots are
// left out: their size is the genotype's, not the lineage's.
//
// Also times the lineage queries on the result. Usage: lineage_bytes_bench [N] [DB_PATH]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "lineage/phylogeny.hpp"
#include "lineage/tree.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Member {
  int64_t id;
  double fitness;
};

struct Synthetic {
  int64_t run_id = 0;
  int64_t individuals = 0;
  int generations = 0;
  int64_t first_root = 0;
  int64_t last_id = 0;
};

Synthetic build(store::Database& db, int64_t n, int population, int truncation) {
  Synthetic s;
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> noise(-1.0, 1.0);
  const int64_t e = store::insert_experiment(db, "bytes-bench", R"({"name":"bytes-bench"})");
  const int64_t c = store::insert_condition(db, e, 0, "direct", "{}");
  s.run_id = store::insert_run(db, e, c, 0, rng(), 1);

  std::vector<Member> parents;  // best first; parents[0] is the carried elite
  for (int gen = 0; s.individuals < n; ++gen) {
    store::Transaction tx(db);
    const int newborns = static_cast<int>(std::min<int64_t>(gen == 0 ? population : population - 1, n - s.individuals));
    std::vector<store::NewIndividual> rows(newborns);
    std::uniform_int_distribution<size_t> pick(0, parents.empty() ? 0 : parents.size() - 1);
    for (auto& row : rows) {
      row.generation = gen;
      row.seed = rng();
      if (!parents.empty()) row.parent = parents[pick(rng)].id;
      // Fitness drifts upward over generations with noise; never integral.
      row.fitness = 0.37 + 0.05 * gen + noise(rng);
    }
    const auto [first, last] = store::insert_individuals(db, s.run_id, rows);
    if (gen == 0) s.first_root = first;

    std::vector<Member> pool;
    if (!parents.empty()) pool.push_back(parents.front());
    for (int i = 0; i < newborns; ++i) pool.push_back({first + i, *rows[i].fitness});
    const size_t keep = std::min<size_t>(truncation, pool.size());
    std::partial_sort(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(keep), pool.end(),
                      [](const Member& a, const Member& b) { return a.fitness > b.fitness; });
    parents.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(keep));
    for (const auto& p : parents) {
      // The genome module would store xxh64 of the genotype; any 64-bit value has its size.
      if (!store::get_individual(db, p.id).checksum) store::set_checksum(db, p.id, rng());
    }

    std::vector<double> f;
    for (const auto& row : rows) f.push_back(*row.fitness);
    std::sort(f.begin(), f.end());
    const double mean = std::accumulate(f.begin(), f.end(), 0.0) / static_cast<double>(f.size());
    double var = 0;
    for (double v : f) var += (v - mean) * (v - mean);
    store::GenerationRow g;
    g.run_id = s.run_id;
    g.generation = gen;
    g.first_individual = first;
    g.last_individual = last;
    g.best = parents.front().fitness;
    g.mean = mean;
    g.median = f[f.size() / 2];
    g.std = std::sqrt(var / static_cast<double>(f.size() - 1));
    g.best_individual = parents.front().id;
    for (const auto& p : parents) g.parents.push_back(p.id);
    g.evaluations = population * 2;
    g.steps = population * 2 * 500 + gen;
    g.eval_seconds = 1.234 + 0.001 * gen;
    g.total_seconds = 1.5 + 0.001 * gen;
    store::insert_generation(db, g);
    tx.commit();

    s.individuals += newborns;
    s.generations = gen + 1;
    s.last_id = last;
  }
  return s;
}

int64_t pragma(store::Database& db, const char* name) {
  auto st = db.prepare(std::string("PRAGMA ") + name);
  st.step();
  return st.column_int64(0);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::stoll(argv[1]) : 100000;
  const std::filesystem::path path =
      argc > 2 ? std::filesystem::path(argv[2]) : std::filesystem::temp_directory_path() / "seedline_bytes_bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);

  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  auto t0 = Clock::now();
  const auto s = build(db, n, 1000, 10);
  const double build_ms = ms_since(t0);
  // Benchmark-only SQL: maintenance and the dbstat breakdown are not part of the store API.
  db.exec("VACUUM");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const int64_t page_size = pragma(db, "page_size");
  const int64_t pages = pragma(db, "page_count");
  const double per = static_cast<double>(page_size * pages) / static_cast<double>(s.individuals);

  std::printf("synthetic run: %lld individuals, %d generations (population 1000, truncation 10, 1 elite)\n",
              static_cast<long long>(s.individuals), s.generations);
  std::printf("written in %.0f ms (%.0f individuals/s, one transaction per generation)\n", build_ms,
              1000.0 * static_cast<double>(s.individuals) / build_ms);
  std::printf("database: %lld pages x %lld bytes = %lld bytes (file %lld bytes)\n", static_cast<long long>(pages),
              static_cast<long long>(page_size), static_cast<long long>(pages * page_size),
              static_cast<long long>(std::filesystem::file_size(path)));
  std::printf("BYTES PER INDIVIDUAL: %.2f (target <= 64: %s)\n", per, per <= 64.0 ? "met" : "MISSED");

  try {
    auto st = db.prepare(
        "SELECT name, count(*), sum(pgsize), sum(payload), sum(unused) FROM dbstat GROUP BY name ORDER BY 3 DESC");
    std::printf("\n%-28s %8s %12s %12s %10s %10s\n", "table/index", "pages", "bytes", "payload", "unused",
                "B/indiv");
    while (st.step()) {
      std::printf("%-28s %8lld %12lld %12lld %10lld %10.2f\n", st.column_text(0).c_str(),
                  static_cast<long long>(st.column_int64(1)), static_cast<long long>(st.column_int64(2)),
                  static_cast<long long>(st.column_int64(3)), static_cast<long long>(st.column_int64(4)),
                  static_cast<double>(st.column_int64(2)) / static_cast<double>(s.individuals));
    }
  } catch (const std::exception& e) {
    std::printf("(no per-table breakdown: %s)\n", e.what());
  }

  std::printf("\nqueries on the result:\n");
  t0 = Clock::now();
  const auto path_rows = store::ancestor_path(db, s.last_id);
  std::printf("  ancestor_path(last, %zu rows)          %8.3f ms\n", path_rows.size(), ms_since(t0));
  t0 = Clock::now();
  const auto desc = store::descendants(db, path_rows.front().individual.id);
  std::printf("  descendants(its root, %zu found)       %8.3f ms\n", desc.size(), ms_since(t0));
  t0 = Clock::now();
  const auto desc2 = store::descendants(db, path_rows.front().individual.id, 2);
  std::printf("  descendants(its root, depth 2, %zu)     %8.3f ms\n", desc2.size(), ms_since(t0));
  t0 = Clock::now();
  const auto m = lineage::mrca(db, s.last_id, s.last_id - 1);
  std::printf("  mrca(last, last-1) = %lld             %8.3f ms\n", static_cast<long long>(m.value_or(-1)),
              ms_since(t0));
  const auto csv = path.string() + ".phylogeny.csv";
  t0 = Clock::now();
  const int64_t rows = lineage::write_phylogeny_csv(db, s.run_id, csv);
  std::printf("  write_phylogeny_csv(%lld rows)       %8.3f ms\n", static_cast<long long>(rows), ms_since(t0));
  std::filesystem::remove(csv);
  return per <= 64.0 ? 0 : 1;
}
