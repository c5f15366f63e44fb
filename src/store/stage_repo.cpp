#include "store/stage_repo.hpp"

namespace seedline::store {

void insert_stages(Database& db, int64_t run_id, int generation, std::span<const StageRecord> stages) {
  auto st = db.prepare(
      "INSERT INTO generation_stages(run_id, generation, stage, evaluations, steps, seconds) VALUES (?, ?, ?, ?, ?, ?)");
  for (size_t i = 0; i < stages.size(); ++i) {
    st.bind(1, run_id).bind(2, generation).bind(3, static_cast<int64_t>(i));
    st.bind(4, stages[i].evaluations).bind(5, stages[i].steps).bind(6, stages[i].seconds);
    st.run();
    st.reset();
  }
}

std::vector<StageRow> list_stages(Database& db, int64_t run_id) {
  auto st = db.prepare(
      "SELECT generation, stage, evaluations, steps, seconds FROM generation_stages WHERE run_id = ? "
      "ORDER BY generation, stage");
  st.bind(1, run_id);
  std::vector<StageRow> out;
  while (st.step()) {
    out.push_back({run_id, static_cast<int>(st.column_int64(0)), static_cast<int>(st.column_int64(1)),
                   {st.column_int64(2), st.column_int64(3), st.column_double(4)}});
  }
  return out;
}

std::vector<StageTotal> stage_totals(Database& db, std::optional<int64_t> experiment_id) {
  auto st = db.prepare(
      "SELECT s.run_id, s.stage, count(*), sum(s.evaluations), sum(s.steps), sum(s.seconds) "
      "FROM runs r JOIN generation_stages s ON s.run_id = r.id "
      "WHERE ?1 IS NULL OR r.experiment_id = ?1 GROUP BY s.run_id, s.stage ORDER BY s.run_id, s.stage");
  st.bind(1, experiment_id);
  std::vector<StageTotal> out;
  while (st.step()) {
    out.push_back({st.column_int64(0), static_cast<int>(st.column_int64(1)), static_cast<int>(st.column_int64(2)),
                   {st.column_int64(3), st.column_int64(4), st.column_double(5)}});
  }
  return out;
}

}  // namespace seedline::store
