// Putting a stopped experiment's runs back to work (`seedline retry`, docs/runner.md,
// "Retrying runs").
//
// retry_runs looks at an experiment's runs (or one of them) and puts back in the queue every
// run that no live daemon holds and that did not finish: a `failed` run (its cause, e.g. an
// evaluator missing from PATH or a base file changed, may have passed) and a `running` run
// whose owner is gone (its process no longer exists on this host, or its heartbeat is older
// than `stale_after`; e.g. the run a full disk stopped in a `seedline run` that then
// exited). Such a run becomes `queued` with the message "retried: resumes from generation
// G"; any daemon then resumes it from its last committed generation exactly as after a
// crash, so nothing committed is lost and the run ends with the history of an uninterrupted
// one. `paused` and `queued` runs are claimable already and stay as they are; finished runs
// and runs a live daemon holds are never touched. Each change is conditional on the run
// still being as it was read (store::requeue_run), so a daemon that claims or heartbeats a
// run meanwhile keeps it.
//
// Thread-safety: as the Database (one writer connection per thread).
// Failure: kNotFound when `run` is not a run of the experiment (naming its runs); store
// errors propagate (kIOError for a database that cannot be written).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/run_summary.hpp"

namespace seedline::runner {

enum class RetryKind {
  kRequeued,    // was failed or abandoned; now queued
  kResumable,   // paused or queued already: a daemon resumes it as it is
  kFinished,    // nothing to do
  kLive,        // a live daemon holds it: not touched
};

struct RetriedRun {
  store::RunSummary before;  // the run as found
  RetryKind kind = RetryKind::kFinished;
  std::string why;           // what was found: the failure message, the gone owner, the live owner
};

// Whether `owner` ("host:pid:nonce", runner::make_owner_id) names a process on this host
// that no longer exists. False for another host or an owner that does not parse.
bool owner_is_gone(const std::string& owner);

// Retries the runs of `experiment_id` (or only `run`); `now` in unix seconds.
std::vector<RetriedRun> retry_runs(store::Database& db, int64_t experiment_id, std::optional<int64_t> run,
                                   double stale_after, double now);

}  // namespace seedline::runner
