// Run claiming and state changes for the runner daemon.
//
// Claiming is atomic across processes: one BEGIN IMMEDIATE transaction picks a claimable run
// (a stale `running` one first, then paused, then queued; within each, the oldest experiment
// first and its runs trial-major: every condition's trial 0 in file order, then trial 1 ...,
// so a partial experiment has runs of every condition early) and marks it running with this
// daemon as owner. Every later write by the owner is conditional on still owning
// the run (`WHERE owner = ?`), so a daemon that was presumed dead can never overwrite the
// work of the daemon that resumed its run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/database.hpp"
#include "store/experiment_repo.hpp"

namespace seedline::store {

struct ClaimOptions {
  std::string owner;                         // e.g. "host:pid:nonce"
  double now = 0;                            // unix seconds
  double stale_after = 60;                   // a running run whose heartbeat is older is claimable
  std::optional<int64_t> experiment_id;      // only this experiment's runs
};

// Claims one run (only `only_run`, when given); nullopt when none is claimable.
std::optional<RunRow> claim_run(Database& db, const ClaimOptions& options,
                                std::optional<int64_t> only_run = std::nullopt);

// Refreshes the heartbeat; false when `owner` no longer holds the run.
bool heartbeat(Database& db, int64_t run_id, const std::string& owner, double now);

// Sets the final or paused state (clearing the owner); false when `owner` no longer holds it.
bool release_run(Database& db, int64_t run_id, const std::string& owner, RunState state,
                 const std::optional<std::string>& message);

// Whether `owner` holds the run in state running (call inside the commit transaction).
bool owns_run(Database& db, int64_t run_id, const std::string& owner);

// Puts a failed run, or a running one whose owner is gone, back in the queue: state queued,
// owner and heartbeat cleared, `message` stored (e.g. what the run resumes from). Only if
// the run is still as `seen` says (state, owner, heartbeat), so it never takes a run from a
// daemon that claimed or heartbeat it meanwhile; false when it changed.
bool requeue_run(Database& db, const RunRow& seen, const std::string& message);

// Counts runs of an experiment (or all) that are not finished or failed.
int64_t unfinished_runs(Database& db, std::optional<int64_t> experiment_id);

}  // namespace seedline::store
