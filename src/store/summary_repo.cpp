#include "store/summary_repo.hpp"

namespace seedline::store {
namespace {

// Correlated subqueries walk the generations primary key (run_id, generation) of one run
// each: the best generation is found in one scan of the run's rows, then its row is read by key.
constexpr const char* kProgressSql = R"(
WITH p AS MATERIALIZED (
  SELECT r.id AS id,
         json_extract(c.config, '$.ga.generations') AS total,
         (SELECT max(g.generation) FROM generations g WHERE g.run_id = r.id) AS last,
         (SELECT g.generation FROM generations g WHERE g.run_id = r.id
           ORDER BY g.best DESC, g.generation LIMIT 1) AS best_generation
    FROM runs r JOIN conditions c ON c.id = r.condition_id
   WHERE (?1 IS NULL OR r.experiment_id = ?1) AND (?2 IS NULL OR r.id = ?2))
SELECT p.id, p.total, p.last, b.best, b.best_individual
  FROM p LEFT JOIN generations b ON b.run_id = p.id AND b.generation = p.best_generation
 ORDER BY p.id)";

// Two statements rather than "?2 IS NULL OR g.generation = ?2": the OR would keep SQLite
// from seeking the (run_id, generation) key and make it scan every generation of every run.
// ORDER BY r.id (not g.run_id) lets the runs_by_experiment index and the generations key
// deliver rows in order; ordering by g.run_id made SQLite sort all rows in a temp B-tree.
constexpr const char* kAllMetricsSql = R"(
SELECT g.run_id, g.generation, g.best, g.mean, g.median
  FROM runs r JOIN generations g ON g.run_id = r.id
 WHERE r.experiment_id = ?1
 ORDER BY r.id, g.generation)";

constexpr const char* kMetricsAtSql = R"(
SELECT g.run_id, g.generation, g.best, g.mean, g.median
  FROM runs r JOIN generations g ON g.run_id = r.id AND g.generation = ?2
 WHERE r.experiment_id = ?1
 ORDER BY g.run_id)";

std::vector<GenerationMetrics> metrics(Database& db, int64_t experiment_id, std::optional<int64_t> generation) {
  auto st = db.prepare(generation ? kMetricsAtSql : kAllMetricsSql);
  st.bind(1, experiment_id);
  if (generation) st.bind(2, *generation);
  std::vector<GenerationMetrics> out;
  while (st.step()) {
    out.push_back({st.column_int64(0), static_cast<int>(st.column_int64(1)), st.column_double(2),
                   st.column_double(3), st.column_double(4)});
  }
  return out;
}

}  // namespace

std::vector<RunProgress> run_progress(Database& db, std::optional<int64_t> experiment_id,
                                      std::optional<int64_t> run_id) {
  auto st = db.prepare(kProgressSql);
  st.bind(1, experiment_id).bind(2, run_id);
  std::vector<RunProgress> out;
  while (st.step()) {
    RunProgress p;
    p.run_id = st.column_int64(0);
    p.generations = static_cast<int>(st.column_optional_int64(1).value_or(0));
    p.last_generation = static_cast<int>(st.column_optional_int64(2).value_or(-1));
    p.best_fitness = st.column_optional_double(3);
    p.best_individual = st.column_optional_int64(4);
    out.push_back(p);
  }
  return out;
}

std::vector<std::pair<int64_t, int>> last_generations(Database& db, int64_t experiment_id) {
  auto st = db.prepare(
      "SELECT r.id, (SELECT max(g.generation) FROM generations g WHERE g.run_id = r.id) FROM runs r "
      "WHERE r.experiment_id = ? ORDER BY r.id");
  st.bind(1, experiment_id);
  std::vector<std::pair<int64_t, int>> out;
  while (st.step()) out.emplace_back(st.column_int64(0), static_cast<int>(st.column_optional_int64(1).value_or(-1)));
  return out;
}

std::vector<StateCount> run_state_counts(Database& db) {
  auto st = db.prepare("SELECT experiment_id, state, count(*) FROM runs GROUP BY experiment_id, state "
                       "ORDER BY experiment_id, state");
  std::vector<StateCount> out;
  while (st.step()) out.push_back({st.column_int64(0), parse_run_state(st.column_text(1)), st.column_int64(2)});
  return out;
}

std::vector<GenerationMetrics> experiment_generation_metrics(Database& db, int64_t experiment_id) {
  return metrics(db, experiment_id, std::nullopt);
}

std::vector<GenerationMetrics> experiment_metrics_at(Database& db, int64_t experiment_id, int generation) {
  return metrics(db, experiment_id, generation);
}

}  // namespace seedline::store
