#include "store/evaluator_repo.hpp"

namespace seedline::store {
namespace {

constexpr const char* kColumns = "run_id, generation, command, name, version, protocol, recorded_at";

RunEvaluator read_row(Statement& st) {
  RunEvaluator e;
  e.run_id = st.column_int64(0);
  e.generation = st.column_int64(1);
  e.command = st.column_text(2);
  e.name = st.column_text(3);
  e.version = st.column_text(4);
  e.protocol = st.column_int64(5);
  e.recorded_at = st.column_text(6);
  return e;
}

}  // namespace

std::vector<RunEvaluator> list_run_evaluators(Database& db, int64_t run_id) {
  auto st = db.prepare(std::string("SELECT ") + kColumns +
                       " FROM run_evaluator_versions WHERE run_id = ?1 ORDER BY generation");
  st.bind(1, run_id);
  std::vector<RunEvaluator> out;
  while (st.step()) out.push_back(read_row(st));
  return out;
}

std::map<int64_t, std::vector<RunEvaluator>> experiment_run_evaluators(Database& db, int64_t experiment_id) {
  auto st = db.prepare(std::string("SELECT ") + kColumns +
                       " FROM run_evaluator_versions WHERE run_id IN (SELECT id FROM runs WHERE experiment_id = ?1)"
                       " ORDER BY run_id, generation");
  st.bind(1, experiment_id);
  std::map<int64_t, std::vector<RunEvaluator>> out;
  while (st.step()) {
    auto e = read_row(st);
    out[e.run_id].push_back(std::move(e));
  }
  return out;
}

std::optional<RunEvaluator> find_run_evaluator(Database& db, int64_t run_id, int64_t generation) {
  auto st = db.prepare(std::string("SELECT ") + kColumns +
                       " FROM run_evaluator_versions WHERE run_id = ?1 AND generation <= ?2"
                       " ORDER BY generation DESC LIMIT 1");
  st.bind(1, run_id).bind(2, generation);
  if (!st.step()) return std::nullopt;
  return read_row(st);
}

bool record_run_evaluator(Database& db, const RunEvaluator& e) {
  Transaction tx(db);
  // The evaluator in effect before this generation: the same one adds nothing.
  const auto before = find_run_evaluator(db, e.run_id, e.generation - 1);
  if (before && before->name == e.name && before->version == e.version && before->command == e.command) {
    auto drop = db.prepare("DELETE FROM run_evaluator_versions WHERE run_id = ?1 AND generation = ?2");
    drop.bind(1, e.run_id).bind(2, e.generation).run();
    tx.commit();
    return false;
  }
  auto st = db.prepare(
      "INSERT INTO run_evaluator_versions(run_id, generation, command, name, version, protocol, recorded_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ','now')) "
      "ON CONFLICT(run_id, generation) DO UPDATE SET command = excluded.command, name = excluded.name, "
      "version = excluded.version, protocol = excluded.protocol, recorded_at = excluded.recorded_at "
      "WHERE command != excluded.command OR name != excluded.name OR version != excluded.version "
      "OR protocol != excluded.protocol");
  st.bind(1, e.run_id).bind(2, e.generation).bind(3, std::string_view(e.command)).bind(4, std::string_view(e.name));
  st.bind(5, std::string_view(e.version)).bind(6, e.protocol);
  st.run();
  const bool wrote = db.changes() > 0;
  tx.commit();
  return wrote;
}

}  // namespace seedline::store
