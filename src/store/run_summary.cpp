#include "store/run_summary.hpp"

#include <string>

#include "store/run_columns.hpp"

namespace seedline::store {
namespace {

// The best generation row of a run: highest best, earliest generation on a tie. Correlated
// subqueries walk the generations primary key (run_id, generation) of one run each.
// Follows "SELECT " + detail::kRunSelectList.
constexpr const char* kSummaryTail = R"(, e.name,
       json_extract(c.config, '$.ga.generations'),
       (SELECT max(g.generation) FROM generations g WHERE g.run_id = r.id),
       (SELECT g.best FROM generations g WHERE g.run_id = r.id ORDER BY g.best DESC, g.generation LIMIT 1),
       (SELECT g.best_individual FROM generations g WHERE g.run_id = r.id
         ORDER BY g.best DESC, g.generation LIMIT 1),
       (SELECT g.best FROM generations g WHERE g.run_id = r.id ORDER BY g.generation DESC LIMIT 1)
  FROM runs r
  JOIN conditions c ON c.id = r.condition_id
  JOIN experiments e ON e.id = r.experiment_id
 WHERE (?1 IS NULL OR r.experiment_id = ?1) AND (?2 IS NULL OR r.id = ?2)
 ORDER BY r.id)";

RunSummary read_summary(const Statement& st) {
  RunSummary s;
  s.run = detail::read_run(st);
  const int c = detail::kRunColumnCount;
  s.experiment_name = st.column_text(c);
  s.generations = static_cast<int>(st.column_optional_int64(c + 1).value_or(0));
  s.last_generation = static_cast<int>(st.column_optional_int64(c + 2).value_or(-1));
  s.best_fitness = st.column_optional_double(c + 3);
  s.best_individual = st.column_optional_int64(c + 4);
  s.final_best = st.column_optional_double(c + 5);
  return s;
}

std::vector<RunSummary> query(Database& db, std::optional<int64_t> experiment_id, std::optional<int64_t> run_id) {
  static const std::string sql = std::string("SELECT ") + detail::kRunSelectList + kSummaryTail;
  auto st = db.prepare(sql);
  st.bind(1, experiment_id).bind(2, run_id);
  std::vector<RunSummary> out;
  while (st.step()) out.push_back(read_summary(st));
  // The evaluators of the same runs, merged in by run id (both ordered by it).
  auto ev = db.prepare(
      "SELECT v.run_id, v.generation, v.command, v.name, v.version, v.protocol, v.recorded_at"
      "  FROM run_evaluator_versions v JOIN runs r ON r.id = v.run_id"
      " WHERE (?1 IS NULL OR r.experiment_id = ?1) AND (?2 IS NULL OR r.id = ?2)"
      " ORDER BY v.run_id, v.generation");
  ev.bind(1, experiment_id).bind(2, run_id);
  size_t at = 0;
  while (ev.step()) {
    RunEvaluator e;
    e.run_id = ev.column_int64(0);
    e.generation = ev.column_int64(1);
    e.command = ev.column_text(2);
    e.name = ev.column_text(3);
    e.version = ev.column_text(4);
    e.protocol = ev.column_int64(5);
    e.recorded_at = ev.column_text(6);
    while (at < out.size() && out[at].run.id < e.run_id) ++at;
    if (at < out.size() && out[at].run.id == e.run_id) out[at].evaluators.push_back(std::move(e));
  }
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
