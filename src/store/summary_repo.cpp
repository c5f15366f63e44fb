#include "store/summary_repo.hpp"

namespace seedline::store {
namespace {

// Correlated subqueries walk the generations primary key (run_id, generation) of one run each.
constexpr const char* kProgressSql = R"(
SELECT r.id,
       json_extract(c.config, '$.ga.generations'),
       (SELECT max(g.generation) FROM generations g WHERE g.run_id = r.id),
       (SELECT g.best FROM generations g WHERE g.run_id = r.id ORDER BY g.best DESC, g.generation LIMIT 1),
       (SELECT g.best_individual FROM generations g WHERE g.run_id = r.id
         ORDER BY g.best DESC, g.generation LIMIT 1)
  FROM runs r JOIN conditions c ON c.id = r.condition_id
 WHERE (?1 IS NULL OR r.experiment_id = ?1) AND (?2 IS NULL OR r.id = ?2)
 ORDER BY r.id)";

constexpr const char* kMetricsSql = R"(
SELECT g.run_id, g.generation, g.best, g.mean, g.median
  FROM runs r JOIN generations g ON g.run_id = r.id
 WHERE r.experiment_id = ?1 AND (?2 IS NULL OR g.generation = ?2)
 ORDER BY g.run_id, g.generation)";

std::vector<GenerationMetrics> metrics(Database& db, int64_t experiment_id, std::optional<int64_t> generation) {
  auto st = db.prepare(kMetricsSql);
  st.bind(1, experiment_id).bind(2, generation);
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
