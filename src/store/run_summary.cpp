#include "store/run_summary.hpp"

namespace seedline::store {
namespace {

// The best generation row of a run: highest best, earliest generation on a tie. Correlated
// subqueries walk the generations primary key (run_id, generation) of one run each.
constexpr const char* kSummarySql = R"(
SELECT r.id, r.experiment_id, r.condition_id, c.name, r.trial, r.seed, r.noise_version, r.state,
       r.owner, r.heartbeat, r.message, r.created_at, r.updated_at, e.name,
       json_extract(c.config, '$.ga.generations'),
       (SELECT max(g.generation) FROM generations g WHERE g.run_id = r.id),
       (SELECT g.best FROM generations g WHERE g.run_id = r.id ORDER BY g.best DESC, g.generation LIMIT 1),
       (SELECT g.best_individual FROM generations g WHERE g.run_id = r.id
         ORDER BY g.best DESC, g.generation LIMIT 1)
  FROM runs r
  JOIN conditions c ON c.id = r.condition_id
  JOIN experiments e ON e.id = r.experiment_id
 WHERE (?1 IS NULL OR r.experiment_id = ?1) AND (?2 IS NULL OR r.id = ?2)
 ORDER BY r.id)";

RunSummary read_summary(const Statement& st) {
  RunSummary s;
  RunRow& r = s.run;
  r.id = st.column_int64(0);
  r.experiment_id = st.column_int64(1);
  r.condition_id = st.column_int64(2);
  r.condition = st.column_text(3);
  r.trial = static_cast<int>(st.column_int64(4));
  r.seed = st.column_uint64(5);
  r.noise_version = static_cast<int>(st.column_int64(6));
  r.state = parse_run_state(st.column_text(7));
  if (!st.is_null(8)) r.owner = st.column_text(8);
  r.heartbeat = st.column_optional_double(9);
  if (!st.is_null(10)) r.message = st.column_text(10);
  r.created_at = st.column_text(11);
  r.updated_at = st.column_text(12);
  s.experiment_name = st.column_text(13);
  s.generations = static_cast<int>(st.column_optional_int64(14).value_or(0));
  s.last_generation = static_cast<int>(st.column_optional_int64(15).value_or(-1));
  s.best_fitness = st.column_optional_double(16);
  s.best_individual = st.column_optional_int64(17);
  return s;
}

std::vector<RunSummary> query(Database& db, std::optional<int64_t> experiment_id, std::optional<int64_t> run_id) {
  auto st = db.prepare(kSummarySql);
  st.bind(1, experiment_id).bind(2, run_id);
  std::vector<RunSummary> out;
  while (st.step()) out.push_back(read_summary(st));
  return out;
}

}  // namespace

std::vector<RunSummary> run_summaries(Database& db, std::optional<int64_t> experiment_id) {
  return query(db, experiment_id, std::nullopt);
}

std::optional<RunSummary> run_summary(Database& db, int64_t run_id) {
  auto rows = query(db, std::nullopt, run_id);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace seedline::store
