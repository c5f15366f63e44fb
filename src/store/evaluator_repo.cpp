#include "store/evaluator_repo.hpp"

namespace seedline::store {

std::optional<RunEvaluator> find_run_evaluator(Database& db, int64_t run_id) {
  auto st = db.prepare(
      "SELECT command, name, version, protocol, recorded_at FROM run_evaluators WHERE run_id = ?1");
  st.bind(1, run_id);
  if (!st.step()) return std::nullopt;
  RunEvaluator e;
  e.run_id = run_id;
  e.command = st.column_text(0);
  e.name = st.column_text(1);
  e.version = st.column_text(2);
  e.protocol = st.column_int64(3);
  e.recorded_at = st.column_text(4);
  return e;
}

bool record_run_evaluator(Database& db, const RunEvaluator& e) {
  auto st = db.prepare(
      "INSERT INTO run_evaluators(run_id, command, name, version, protocol, recorded_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%SZ','now')) ON CONFLICT(run_id) DO NOTHING");
  st.bind(1, e.run_id).bind(2, std::string_view(e.command)).bind(3, std::string_view(e.name));
  st.bind(4, std::string_view(e.version)).bind(5, e.protocol);
  st.run();
  return db.changes() > 0;
}

}  // namespace seedline::store
