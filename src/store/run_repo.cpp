#include "store/run_repo.hpp"

namespace seedline::store {
namespace {
constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%SZ','now')";
}

std::optional<RunRow> claim_run(Database& db, const ClaimOptions& o, std::optional<int64_t> only_run) {
  Transaction tx(db);
  auto pick = db.prepare(
      "SELECT r.id FROM runs r JOIN conditions c ON c.id = r.condition_id "
      "WHERE (?1 IS NULL OR r.experiment_id = ?1) AND (?3 IS NULL OR r.id = ?3) AND "
      "(r.state IN ('queued', 'paused') OR (r.state = 'running' AND (r.heartbeat IS NULL OR r.heartbeat < ?2))) "
      "ORDER BY CASE r.state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END, r.experiment_id, r.trial, "
      "c.position, r.id LIMIT 1");
  pick.bind(1, o.experiment_id).bind(2, o.now - o.stale_after).bind(3, only_run);
  if (!pick.step()) return std::nullopt;
  const int64_t id = pick.column_int64(0);
  db.prepare(std::string("UPDATE runs SET state = 'running', owner = ?, heartbeat = ?, message = NULL, "
                         "updated_at = ") + kNow + " WHERE id = ?")
      .bind(1, o.owner)
      .bind(2, o.now)
      .bind(3, id)
      .run();
  tx.commit();
  return find_run(db, id);
}

bool heartbeat(Database& db, int64_t run_id, const std::string& owner, double now) {
  db.prepare("UPDATE runs SET heartbeat = ? WHERE id = ? AND owner = ? AND state = 'running'")
      .bind(1, now)
      .bind(2, run_id)
      .bind(3, owner)
      .run();
  return db.changes() == 1;
}

bool release_run(Database& db, int64_t run_id, const std::string& owner, RunState state,
                 const std::optional<std::string>& message) {
  db.prepare(std::string("UPDATE runs SET state = ?, owner = NULL, heartbeat = NULL, message = ?, updated_at = ") +
             kNow + " WHERE id = ? AND owner = ? AND state = 'running'")
      .bind(1, run_state_name(state))
      .bind(2, message)
      .bind(3, run_id)
      .bind(4, owner)
      .run();
  return db.changes() == 1;
}

bool owns_run(Database& db, int64_t run_id, const std::string& owner) {
  auto st = db.prepare("SELECT 1 FROM runs WHERE id = ? AND owner = ? AND state = 'running'");
  st.bind(1, run_id).bind(2, owner);
  return st.step();
}

bool requeue_run(Database& db, const RunRow& seen, const std::string& message) {
  db.prepare(std::string("UPDATE runs SET state = 'queued', owner = NULL, heartbeat = NULL, message = ?, updated_at = ") +
             kNow + " WHERE id = ? AND state = ? AND owner IS ? AND heartbeat IS ?")
      .bind(1, message)
      .bind(2, seen.id)
      .bind(3, run_state_name(seen.state))
      .bind(4, seen.owner)
      .bind(5, seen.heartbeat)
      .run();
  return db.changes() == 1;
}

int64_t unfinished_runs(Database& db, std::optional<int64_t> experiment_id) {
  auto st = db.prepare(
      "SELECT count(*) FROM runs WHERE (?1 IS NULL OR experiment_id = ?1) AND state NOT IN ('finished', 'failed')");
  st.bind(1, experiment_id);
  st.step();
  return st.column_int64(0);
}

}  // namespace seedline::store
