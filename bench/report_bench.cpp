// Results-out figures of docs/export.md (targets: <= 1 s each on 2 cores):
//   1. the family tree of a 100,000-individual run pruned to the ancestors of its final
//      population, as GET /api/runs/{id}/tree serves it (load, prune, JSON), beside the whole
//      tree and its Newick text;
//   2. `seedline export` of a 3 conditions x 10 trials x 300 generations experiment (9,000
//      rows) as CSV and as JSON, beside the baseline of only reading those rows.
// The tree run is written the way the runner writes one (lineage_bytes_bench's scheme:
// population 1000, the best 10 as parents, one elite carried). Each time is the median of 5.
// Usage: report_bench [DB_PATH]  (the database is kept, for bench/tree_render.mjs)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "lineage/run_tree.hpp"
#include "report/export.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

double median_ms(int reps, const std::function<void()>& work) {
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    work();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// One run of `n` individuals in generations of `population`; returns the run id.
int64_t write_tree_run(store::Database& db, int64_t n, int population, int truncation) {
  std::mt19937_64 rng(20261130);
  std::uniform_real_distribution<double> noise(-1.0, 1.0);
  const int64_t e = store::insert_experiment(db, "tree-bench", R"({"name":"tree-bench"})");
  const int64_t c = store::insert_condition(db, e, 0, "direct", R"({"ga":{"elites":1,"population":1000}})");
  const int64_t run = store::insert_run(db, e, c, 0, rng(), 1);
  std::vector<std::pair<double, int64_t>> parents;  // (fitness, id), best first
  int64_t written = 0;
  for (int gen = 0; written < n; ++gen) {
    store::Transaction tx(db);
    const int born = static_cast<int>(std::min<int64_t>(gen == 0 ? population : population - 1, n - written));
    std::vector<store::NewIndividual> rows(born);
    std::uniform_int_distribution<size_t> pick(0, parents.empty() ? 0 : parents.size() - 1);
    for (auto& r : rows) {
      r.generation = gen;
      r.seed = rng();
      if (!parents.empty()) r.parent = parents[pick(rng)].second;
      r.fitness = 0.37 + 0.05 * gen + noise(rng);
    }
    const auto [first, last] = store::insert_individuals(db, run, rows);
    std::vector<std::pair<double, int64_t>> pool;
    if (!parents.empty()) pool.push_back(parents.front());
    for (int i = 0; i < born; ++i) pool.emplace_back(*rows[i].fitness, first + i);
    const size_t keep = std::min<size_t>(truncation, pool.size());
    std::partial_sort(pool.begin(), pool.begin() + static_cast<long>(keep), pool.end(), std::greater<>());
    parents.assign(pool.begin(), pool.begin() + static_cast<long>(keep));
    store::GenerationRow g;
    g.run_id = run;
    g.generation = gen;
    g.first_individual = first;
    g.last_individual = last;
    g.best = parents.front().first;
    g.best_individual = parents.front().second;
    for (const auto& p : parents) g.parents.push_back(p.second);
    store::insert_generation(db, g);
    tx.commit();
    written += born;
  }
  return run;
}

// 3 conditions x 10 trials x `generations` summary rows (one root individual per run).
int64_t write_summary_experiment(store::Database& db, int generations) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  store::Transaction tx(db);
  const int64_t e = store::insert_experiment(db, "export-bench", R"({"name":"export-bench"})");
  for (int ci = 0; ci < 3; ++ci) {
    const int64_t c = store::insert_condition(db, e, ci, "condition-" + std::to_string(ci), R"({"ga":{"elites":1}})");
    for (int t = 0; t < 10; ++t) {
      const int64_t run = store::insert_run(db, e, c, t, rng(), 1);
      const std::vector<store::NewIndividual> root = {{std::nullopt, rng(), 0, 1.0, std::nullopt}};
      const auto [id, unused] = store::insert_individuals(db, run, root);
      for (int g = 0; g < generations; ++g) {
        store::GenerationRow row;
        row.run_id = run;
        row.generation = g;
        row.first_individual = row.last_individual = row.best_individual = id;
        row.best = 10 * u(rng) + g;
        row.mean = row.best - u(rng);
        row.median = row.mean + 0.1;
        row.std = u(rng);
        row.evaluations = 1024;
        row.steps = 1024 * 200 + g;
        row.eval_seconds = 0.5 * u(rng);
        row.total_seconds = row.eval_seconds + 0.01;
        row.parents = {id};
        store::insert_generation(db, row);
      }
    }
  }
  tx.commit();
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path path =
      argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::temp_directory_path() / "seedline_report_bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  int64_t run = 0;
  int64_t experiment = 0;
  {
    auto db = store::open_database(path, store::OpenPurpose::kCreate);
    run = write_tree_run(db, 100000, 1000, 10);
    experiment = write_summary_experiment(db, 300);
  }
  auto db = store::open_database(path, store::OpenPurpose::kRead);

  // 1. The tree.
  http::StaticFiles web{std::span<const http::EmbeddedFile>()};
  http::RouterContext ctx{db, "", web, nullptr};
  size_t bytes = 0;
  const auto get = [&](const std::string& target) {
    const http::Request req{http::beast_http::verb::get, target, 11};
    const auto res = http::handle_request(req, ctx);
    if (res.result_int() != 200) {
      std::fprintf(stderr, "GET %s: %d %s\n", target.c_str(), res.result_int(), res.body().c_str());
      std::exit(1);
    }
    bytes = res.body().size();
  };
  const std::string base = "/api/runs/" + std::to_string(run) + "/tree";
  const auto pruned = lineage::load_run_tree(db, run, true);
  const auto whole = lineage::load_run_tree(db, run, false);
  const double pruned_ms = median_ms(5, [&] { get(base); });
  const size_t pruned_bytes = bytes;
  const double whole_ms = median_ms(5, [&] { get(base + "?extant=0"); });
  const size_t whole_bytes = bytes;
  size_t newick_bytes = 0;
  const double newick_ms = median_ms(5, [&] { newick_bytes = lineage::to_newick(lineage::load_run_tree(db, run, false)).size(); });
  std::printf("tree of a run of %zu individuals (%d generations): pruned to %zu ancestors of the final population\n",
              whole.nodes.size(), whole.last_generation + 1, pruned.nodes.size());
  std::printf("  GET /api/runs/%lld/tree (pruned)      %8.1f ms  %9zu bytes   target <= 1000 ms\n",
              static_cast<long long>(run), pruned_ms, pruned_bytes);
  std::printf("  GET /api/runs/%lld/tree?extant=0      %8.1f ms  %9zu bytes   (every individual)\n",
              static_cast<long long>(run), whole_ms, whole_bytes);
  std::printf("  Newick of the whole tree              %8.1f ms  %9zu bytes\n", newick_ms, newick_bytes);

  // 2. The export.
  size_t rows = 0;
  const double read_ms = median_ms(5, [&] {
    rows = 0;
    for (const auto& r : store::list_runs(db, experiment)) rows += store::list_generations(db, r.id).size();
  });
  std::string csv, json;
  const double csv_ms = median_ms(5, [&] {
    std::ostringstream out;
    report::write_generations_table(db, experiment, report::TableFormat::kCsv, out);
    csv = out.str();
  });
  const double json_ms = median_ms(5, [&] {
    std::ostringstream out;
    report::write_generations_table(db, experiment, report::TableFormat::kJson, out);
    json = out.str();
  });
  std::printf("export of 3 conditions x 10 trials x 300 generations (%zu rows)\n", rows);
  std::printf("  reading the rows only (baseline)      %8.1f ms\n", read_ms);
  std::printf("  export --format csv                   %8.1f ms  %9zu bytes   %.2fx the read; target <= 1000 ms\n", csv_ms,
              csv.size(), csv_ms / read_ms);
  std::printf("  export --format json                  %8.1f ms  %9zu bytes   %.2fx the read\n", json_ms, json.size(),
              json_ms / read_ms);
  std::printf("database kept at %s (run %lld: the tree; bench/tree_render.mjs draws it)\n", path.c_str(),
              static_cast<long long>(run));
  return 0;
}
