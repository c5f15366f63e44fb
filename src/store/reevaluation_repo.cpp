#include "store/reevaluation_repo.hpp"

#include "util/error.hpp"

namespace seedline::store {

int64_t insert_reevaluation(Database& db, const ReevaluationRow& row) {
  Transaction tx(db);
  {
    auto st = db.prepare("SELECT 1 FROM individuals WHERE id = ?");
    st.bind(1, row.individual_id);
    if (!st.step()) not_found("individual " + std::to_string(row.individual_id) + " does not exist");
  }
  auto st = db.prepare(
      "INSERT INTO reevaluations(individual_id, seed, episodes, mean, std, ci_low, ci_high, steps, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))");
  st.bind(1, row.individual_id)
      .bind(2, row.seed)
      .bind(3, row.episodes)
      .bind(4, row.mean)
      .bind(5, row.std)
      .bind(6, row.ci_low)
      .bind(7, row.ci_high)
      .bind(8, row.steps);
  st.run();
  const int64_t id = db.last_insert_rowid();
  for (const auto& m : row.metrics) {
    auto mst = db.prepare("INSERT INTO reevaluation_metrics(reevaluation_id, name, mean, episodes) VALUES (?, ?, ?, ?)");
    mst.bind(1, id).bind(2, m.name).bind(3, m.mean).bind(4, m.episodes);
    mst.run();
  }
  tx.commit();
  return id;
}

std::vector<ReevaluationRow> reevaluations_of(Database& db, int64_t individual_id) {
  auto st = db.prepare(
      "SELECT id, individual_id, seed, episodes, mean, std, ci_low, ci_high, steps, created_at "
      "FROM reevaluations WHERE individual_id = ? ORDER BY id");
  st.bind(1, individual_id);
  std::vector<ReevaluationRow> out;
  while (st.step()) {
    ReevaluationRow r;
    r.id = st.column_int64(0);
    r.individual_id = st.column_int64(1);
    r.seed = st.column_uint64(2);
    r.episodes = static_cast<int>(st.column_int64(3));
    r.mean = st.column_double(4);
    r.std = st.column_optional_double(5);
    r.ci_low = st.column_optional_double(6);
    r.ci_high = st.column_optional_double(7);
    r.steps = st.column_int64(8);
    r.created_at = st.column_text(9);
    out.push_back(std::move(r));
  }
  for (auto& r : out) {
    auto mst = db.prepare("SELECT name, mean, episodes FROM reevaluation_metrics WHERE reevaluation_id = ? ORDER BY name");
    mst.bind(1, r.id);
    while (mst.step()) {
      r.metrics.push_back({mst.column_text(0), mst.column_optional_double(1), static_cast<int>(mst.column_int64(2))});
    }
  }
  return out;
}

}  // namespace seedline::store
