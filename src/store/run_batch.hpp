// Inserting the queued runs of a new experiment quickly: one prepared statement reused for
// every run, so a submission at the bound (runner::kMaxRunsPerExperiment) holds the write
// lock for well under a second instead of tens of seconds (a statement prepared per run cost
// about 40 us each; see docs/guarantees.md for the measured figure).
//
// Thread-safety: as the Database. Call inside the caller's transaction, so the experiment
// appears with all its runs or none. Failure: SQLite errors as Error, as the store throws
// them; the caller's transaction then rolls everything back.
#pragma once

#include <cstdint>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

// Inserts one queued run per seed, trial = its index in `seeds`; returns the run ids in order.
std::vector<int64_t> insert_queued_runs(Database& db, int64_t experiment_id, int64_t condition_id,
                                        const std::vector<uint64_t>& seeds, int noise_version,
                                        int kernel_version);

}  // namespace seedline::store
