// Deleting an experiment (`seedline delete`, docs/runner.md, "Deleting an experiment"): every
// row of it in every table (store/experiment_delete.hpp), in one transaction, refused while a
// live daemon holds one of its runs.
//
// A run is held when it is `running` and its owner is alive by the rule `seedline retry` uses
// (runner/retry.hpp): its owner string does not name a process of this host that is gone, and
// its heartbeat is younger than `stale_after` seconds. A run left `running` by a process that
// died (or that stopped heartbeating for longer) does not block a deletion forever. The check
// runs inside the deletion's BEGIN IMMEDIATE transaction, so no daemon can claim one of the
// runs between the check and the removal; the presumed-dead owner of a deleted run, should it
// come back, finds the run gone (its writes are conditional on owning it) and drops it.
//
// Thread-safety: as the Database (one writer connection per thread).
// Failure: kFailedPrecondition when a live daemon holds a run (naming each run and its owner;
// nothing is removed); store errors propagate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/experiment_delete.hpp"

namespace seedline::runner {

struct HeldRun {
  int64_t run_id = 0;
  std::string owner;
  double heartbeat_age = 0;  // seconds since the owner's last heartbeat
};

// The experiment's runs a live daemon holds now (`now` in unix seconds), by run id.
std::vector<HeldRun> held_runs(store::Database& db, int64_t experiment_id, double stale_after, double now);

// Deletes the experiment; see the header paragraph.
store::ExperimentRowCounts delete_experiment(store::Database& db, int64_t experiment_id, double stale_after,
                                             double now);

// "run 3 (held by host:12:ab, heartbeat 2 s ago)", joined with ", ".
std::string describe_held(const std::vector<HeldRun>& held);

}  // namespace seedline::runner
