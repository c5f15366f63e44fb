// Internal to src/store: the columns of a RunRow and their reader, shared by the queries
// that return runs (experiment_repo.cpp, run_summary.cpp) so the two cannot drift apart.
#pragma once

#include "store/database.hpp"
#include "store/experiment_repo.hpp"

namespace seedline::store::detail {

// Selects the 14 RunRow columns from `runs r JOIN conditions c` (no FROM clause).
inline constexpr const char* kRunSelectList =
    "r.id, r.experiment_id, r.condition_id, c.name, r.trial, r.seed, r.noise_version, r.state, r.owner, "
    "r.heartbeat, r.message, r.created_at, r.updated_at, r.kernel_version";
inline constexpr int kRunColumnCount = 14;

// Reads the columns of kRunSelectList from the current row, starting at column 0.
RunRow read_run(const Statement& st);

}  // namespace seedline::store::detail
