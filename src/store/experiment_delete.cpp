#include "store/experiment_delete.hpp"

namespace seedline::store {
namespace {

constexpr const char* kRunsOf = "(SELECT id FROM runs WHERE experiment_id = ?1)";
constexpr const char* kIndividualsOf =
    "(SELECT id FROM individuals WHERE run_id IN (SELECT id FROM runs WHERE experiment_id = ?1))";

// One table's rows of the experiment: the table, and the WHERE clause that selects them.
// Ordered so that each table comes before the tables its rows reference (generations'
// best_individual and individuals' parent_id have no ON DELETE CASCADE).
struct TablePart {
  const char* table;
  std::string where;
  int64_t ExperimentRowCounts::*count;
};

std::vector<TablePart> parts() {
  const std::string in_runs = std::string("run_id IN ") + kRunsOf;
  return {
      {"generation_metrics", in_runs, &ExperimentRowCounts::generation_metrics},
      {"generation_stages", in_runs, &ExperimentRowCounts::generation_stages},
      {"generations", in_runs, &ExperimentRowCounts::generations},
      {"reevaluation_metrics",
       std::string("reevaluation_id IN (SELECT id FROM reevaluations WHERE individual_id IN ") + kIndividualsOf + ")",
       &ExperimentRowCounts::reevaluation_metrics},
      {"reevaluations", std::string("individual_id IN ") + kIndividualsOf, &ExperimentRowCounts::reevaluations},
      {"snapshots", in_runs, &ExperimentRowCounts::snapshots},
      {"es_states", in_runs, &ExperimentRowCounts::es_states},
      {"run_evaluator_versions", in_runs, &ExperimentRowCounts::run_evaluator_versions},
      {"individuals", in_runs, &ExperimentRowCounts::individuals},
      {"runs", "experiment_id = ?1", &ExperimentRowCounts::runs},
      {"conditions", "experiment_id = ?1", &ExperimentRowCounts::conditions},
      {"experiments", "id = ?1", &ExperimentRowCounts::experiments},
  };
}

}  // namespace

std::vector<std::pair<std::string, int64_t>> ExperimentRowCounts::by_table() const {
  return {{"experiments", experiments},
          {"conditions", conditions},
          {"runs", runs},
          {"individuals", individuals},
          {"generations", generations},
          {"generation_stages", generation_stages},
          {"generation_metrics", generation_metrics},
          {"snapshots", snapshots},
          {"es_states", es_states},
          {"reevaluations", reevaluations},
          {"reevaluation_metrics", reevaluation_metrics},
          {"run_evaluator_versions", run_evaluator_versions}};
}

ExperimentRowCounts count_experiment_rows(Database& db, int64_t experiment_id) {
  ExperimentRowCounts out;
  for (const auto& part : parts()) {
    auto st = db.prepare(std::string("SELECT COUNT(*) FROM ") + part.table + " WHERE " + part.where);
    st.bind(1, experiment_id);
    st.step();
    out.*part.count = st.column_int64(0);
  }
  return out;
}

ExperimentRowCounts delete_experiment(Database& db, int64_t experiment_id, const std::function<void()>& check) {
  // Back on whatever happens, after the transaction below has committed or rolled back.
  struct ForeignKeysOff {
    Database& db;
    explicit ForeignKeysOff(Database& d) : db(d) { db.exec("PRAGMA foreign_keys=OFF"); }
    ~ForeignKeysOff() {
      try {
        db.exec("PRAGMA foreign_keys=ON");
      } catch (...) {  // a destructor must not throw; the connection is then closed by its owner
      }
    }
  } fk_off(db);
  Transaction transaction(db);
  if (check) check();
  ExperimentRowCounts out;
  for (const auto& part : parts()) {
    auto st = db.prepare(std::string("DELETE FROM ") + part.table + " WHERE " + part.where);
    st.bind(1, experiment_id);
    st.run();
    out.*part.count = db.changes();
  }
  transaction.commit();
  return out;
}

}  // namespace seedline::store
