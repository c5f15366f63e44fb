#include "store/run_batch.hpp"

namespace seedline::store {

std::vector<int64_t> insert_queued_runs(Database& db, int64_t experiment_id, int64_t condition_id,
                                        const std::vector<uint64_t>& seeds, int noise_version,
                                        int kernel_version) {
  // The same columns and values as insert_run (experiment_repo.cpp), prepared once.
  auto st = db.prepare(
      "INSERT INTO runs(experiment_id, condition_id, trial, seed, noise_version, kernel_version, state, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', strftime('%Y-%m-%dT%H:%M:%SZ','now'), "
      "strftime('%Y-%m-%dT%H:%M:%SZ','now'))");
  std::vector<int64_t> ids;
  ids.reserve(seeds.size());
  for (size_t trial = 0; trial < seeds.size(); ++trial) {
    st.bind(1, experiment_id)
        .bind(2, condition_id)
        .bind(3, static_cast<int64_t>(trial))
        .bind(4, seeds[trial])
        .bind(5, noise_version)
        .bind(6, kernel_version)
        .run();
    ids.push_back(db.last_insert_rowid());
    st.reset();
  }
  return ids;
}

}  // namespace seedline::store
