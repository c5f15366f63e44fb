// The runner daemon: claims runs, drives them to the end, and survives crashes.
//
// A daemon owns one writer connection. It claims runs atomically (store::claim_run: stale
// running runs first, then paused, then queued) under an owner string "host:pid:nonce",
// drives each with drive_run on its thread pool, heartbeating while it works, and polls for
// new work when there is none. A run whose owner died (its heartbeat older than
// stale_after) is claimed and resumed from its last committed generation.
//
// Stopping: when `stop` becomes true (install_stop_signals wires SIGINT/SIGTERM to it) the
// current run is released as paused, resumable by any daemon, and run_daemon returns.
// A run whose task throws is marked failed with the message and the daemon goes on.
//
// Thread-safety: one run_daemon per call; it uses its connection from the calling thread only.
// Failure: opening the database throws (missing file, wrong schema). A store I/O error while
// driving a run (e.g. the database stayed locked past busy_timeout) is reported on `log`, the
// run is left to go stale (DaemonReport::lost, lost_because), and the daemon continues after
// a pause. With `once`, a store I/O error while claiming ends the daemon with the report of
// what it did so far and the error in DaemonReport::gave_up (without `once` it waits and
// claims again). Other errors while claiming are thrown.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "runner/progress.hpp"
#include "runner/run_driver.hpp"
#include "store/database.hpp"

namespace seedline::runner {

struct DaemonOptions {
  int threads = 1;                       // worker threads per run. Default: 1.
  bool once = false;                     // exit when nothing is claimable instead of polling
  std::optional<int64_t> experiment_id;  // only this experiment's runs
  std::optional<int64_t> run_id;         // only this run (`seedline retry --run N`)
  double stale_after = 60;               // seconds without heartbeat before a running run is reclaimed
  double poll_seconds = 1;               // sleep between claims when idle
  // Between heartbeats; Default (<= 0): min(5, stale_after / 4).
  double heartbeat_seconds = 0;
  Progress* progress = nullptr;          // per-run progress; null prints nothing
  std::ostream* log = nullptr;           // one line per claimed/ended run and errors; may be null
  std::string owner;                     // empty: make_owner_id()
  // Passed to DriverOptions::make_task (tests inject failing tasks). Empty: tasks::make_task.
  std::function<std::unique_ptr<tasks::Task>(const nlohmann::json&)> make_task;
  // Passed to DriverOptions::executor: where evaluations run (e.g. an MPI job's
  // distributed::RemoteExecutor). Null (default): the daemon's thread pool. Not owned.
  Executor* executor = nullptr;
};

struct DaemonReport {
  std::string owner;
  std::vector<int64_t> finished, paused, failed, lost;
  std::map<int64_t, std::string> lost_because;  // per lost run: the error that lost it
  bool stopped = false;                  // ended by a stop request
  // With `once`: why the daemon stopped claiming before nothing was claimable (a store I/O
  // error, e.g. the disk is full or the database stayed locked); empty otherwise.
  std::string gave_up;
};

// "host:pid:nonce" with a random 32-bit hex nonce.
std::string make_owner_id();

// Claims and drives runs on `db` (a writer connection) until stopped or, with `once`, until
// nothing is claimable.
DaemonReport run_daemon(store::Database& db, const DaemonOptions& options, const std::atomic<bool>& stop);

// Installs SIGINT and SIGTERM handlers that set the returned flag; a second signal exits at
// once with status 130 (the run then resumes when its heartbeat goes stale). Idempotent.
const std::atomic<bool>& install_stop_signals();

// Sets the flag install_stop_signals returns, as a first SIGINT would: for a part of the
// program that finds it cannot go on (an MPI job's --wire-stats file cannot be written).
void request_stop();

}  // namespace seedline::runner
