#include "store/summary_repo.hpp"

namespace seedline::store {
namespace {

// Two statements rather than "?2 IS NULL OR g.generation = ?2": the OR would keep SQLite
// from seeking the (run_id, generation) key and make it scan every generation of every run.
// ORDER BY r.id (not g.run_id) lets the runs_by_experiment index and the generations key
// deliver rows in order; ordering by g.run_id made SQLite sort all rows in a temp B-tree.
constexpr const char* kAllMetricsSql = R"(
SELECT g.run_id, g.generation, g.best, g.mean, g.median, g.evaluations, g.steps, g.eval_seconds
  FROM runs r JOIN generations g ON g.run_id = r.id
 WHERE r.experiment_id = ?1
 ORDER BY r.id, g.generation)";

constexpr const char* kMetricsAtSql = R"(
SELECT g.run_id, g.generation, g.best, g.mean, g.median, g.evaluations, g.steps, g.eval_seconds
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
                   st.column_double(3), st.column_double(4), st.column_int64(5), st.column_int64(6),
                   st.column_double(7)});
  }
  return out;
}

// Fitness from the generation row, costs from the stage row; ordered like summary_repo's
// queries (by run id, then generation) so callers can treat both alike.
constexpr const char* kStageMetricsSql = R"(
SELECT g.run_id, g.generation, g.best, g.mean, g.median, s.evaluations, s.steps, s.seconds
  FROM runs r
  JOIN generations g ON g.run_id = r.id
  JOIN generation_stages s ON s.run_id = g.run_id AND s.generation = g.generation AND s.stage = ?2
 WHERE r.experiment_id = ?1
 ORDER BY r.id, g.generation)";

constexpr const char* kStageMetricsAtSql = R"(
SELECT g.run_id, g.generation, g.best, g.mean, g.median, s.evaluations, s.steps, s.seconds
  FROM runs r
  JOIN generations g ON g.run_id = r.id AND g.generation = ?3
  JOIN generation_stages s ON s.run_id = g.run_id AND s.generation = g.generation AND s.stage = ?2
 WHERE r.experiment_id = ?1
 ORDER BY r.id)";

std::vector<GenerationMetrics> stage_metrics(Database& db, int64_t experiment_id, int stage,
                                             std::optional<int> generation) {
  auto st = db.prepare(generation ? kStageMetricsAtSql : kStageMetricsSql);
  st.bind(1, experiment_id).bind(2, stage);
  if (generation) st.bind(3, *generation);
  std::vector<GenerationMetrics> out;
  while (st.step()) {
    GenerationMetrics m;
    m.run_id = st.column_int64(0);
    m.generation = static_cast<int>(st.column_int64(1));
    m.best = st.column_double(2);
    m.mean = st.column_double(3);
    m.median = st.column_double(4);
    m.evaluations = st.column_int64(5);
    m.steps = st.column_int64(6);
    m.seconds = st.column_double(7);
    out.push_back(m);
  }
  return out;
}

}  // namespace

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

std::vector<GenerationMetrics> experiment_stage_metrics(Database& db, int64_t experiment_id, int stage) {
  return stage_metrics(db, experiment_id, stage, std::nullopt);
}

std::vector<GenerationMetrics> experiment_stage_metrics_at(Database& db, int64_t experiment_id, int stage,
                                                           int generation) {
  return stage_metrics(db, experiment_id, stage, generation);
}

}  // namespace seedline::store
