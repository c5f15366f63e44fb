#include "runner/daemon.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "lineage/genotype_cache.hpp"
#include "runner/progress.hpp"
#include "store/run_repo.hpp"
#include "store/run_summary.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int) {
  if (g_stop.exchange(true)) ::_exit(130);
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Sleeps up to `seconds`, waking early when a stop is requested.
void idle(double seconds, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Where the run's experiment stands, for the progress bar's best-so-far and experiment ETA.
// Only informative: a read that fails (e.g. the database is busy) leaves the plan out.
void report_plan(store::Database& db, const store::RunRow& run, Progress* progress) {
  if (progress == nullptr) return;
  try {
    ExperimentPlan plan;
    for (const auto& s : store::run_summaries(db, run.experiment_id)) {
      plan.generations_total += s.generations;
      plan.generations_done += std::min(s.generations, s.last_generation + 1);
      if (s.run.id == run.id) plan.run_best = s.best_fitness;
    }
    progress->plan(plan);
  } catch (const Error&) {
  }
}

}  // namespace

std::string make_owner_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  char nonce[16];
  std::snprintf(nonce, sizeof nonce, "%08x", static_cast<unsigned>(rd()));
  return std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(::getpid()) + ":" + nonce;
}

const std::atomic<bool>& install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return g_stop;
}

void request_stop() { g_stop.store(true); }

DaemonReport run_daemon(store::Database& db, const DaemonOptions& options, const std::atomic<bool>& stop) {
  DaemonReport report;
  report.owner = options.owner.empty() ? make_owner_id() : options.owner;
  ThreadPool pool(std::max(1, options.threads));
  lineage::GenotypeCache cache;
  DriverOptions driver;
  driver.heartbeat_seconds =
      options.heartbeat_seconds > 0 ? options.heartbeat_seconds : std::min(5.0, options.stale_after / 4);
  driver.stop = &stop;
  driver.progress = options.progress;
  driver.cache = &cache;
  driver.make_task = options.make_task;
  driver.executor = options.executor;
  driver.log = options.log;

  store::ClaimOptions claim;
  claim.owner = report.owner;
  claim.stale_after = options.stale_after;
  claim.experiment_id = options.experiment_id;
  while (!stop.load()) {
    claim.now = unix_now();
    std::optional<store::RunRow> run;
    try {
      run = store::claim_run(db, claim, options.run_id);
    } catch (const Error& e) {
      // A lock held past busy_timeout passes; with --once there is no later to wait for, and
      // the report of the runs driven so far is what the caller needs to say what happened.
      if (e.code() != ErrorCode::kIOError) throw;
      if (options.once) {
        report.gave_up = e.what();
        if (options.log != nullptr) {
          *options.log << log_timestamp() << " seedline daemon: cannot claim a run: " << e.what() << "\n";
        }
        break;
      }
      if (options.log != nullptr) {
        *options.log << log_timestamp() << " seedline daemon: cannot claim a run now: " << e.what() << "\n";
      }
      idle(options.poll_seconds, stop);
      continue;
    }
    if (!run) {
      if (options.once) break;
      idle(options.poll_seconds, stop);
      continue;
    }
    if (options.log != nullptr) {
      *options.log << log_timestamp() << " seedline daemon " << report.owner << ": claimed run " << run->id << " (" << run->condition
                   << " trial " << run->trial << ")\n"
                   << std::flush;
    }
    report_plan(db, *run, options.progress);
    RunResult result;
    try {
      result = drive_run(db, *run, report.owner, pool, driver);
    } catch (const Error& e) {
      // Only store I/O errors get here: the run stays running, goes stale and is resumed.
      if (options.log != nullptr) {
        *options.log << log_timestamp() << " seedline daemon: run " << run->id << ": " << e.what() << "\n";
      }
      report.lost.push_back(run->id);
      report.lost_because[run->id] = e.what();
      idle(options.poll_seconds, stop);
      continue;
    }
    switch (result.outcome) {
      case RunOutcome::kFinished: report.finished.push_back(run->id); break;
      case RunOutcome::kPaused: report.paused.push_back(run->id); break;
      case RunOutcome::kFailed: report.failed.push_back(run->id); break;
      case RunOutcome::kLost:
        report.lost.push_back(run->id);
        report.lost_because[run->id] = result.message;
        break;
    }
    if (options.log != nullptr) {
      *options.log << log_timestamp() << " seedline daemon " << report.owner << ": run " << run->id << " " << outcome_name(result.outcome)
                   << " at generation " << result.last_generation
                   << (result.message.empty() ? "" : " (" + result.message + ")") << "\n"
                   << std::flush;
    }
  }
  report.stopped = stop.load();
  return report;
}

}  // namespace seedline::runner
