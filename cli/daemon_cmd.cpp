// seedline daemon [--threads N] [--once] [--experiment X] [--stale-after S] [--mpi [--wire-stats F]]
// seedline run EXPERIMENT.json [--threads N] [--mpi [--wire-stats F]]: submit, then run it to
// the end here; exits 1 naming every run that did not finish (a failed database write, a run
// failed by its task), 130 when SIGINT/SIGTERM stopped it (its runs paused). With --mpi (under mpirun) rank 0 does all of that and every other
// rank only evaluates (cli/mpi_option.hpp, docs/distributed.md).
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "common.hpp"
#include "mpi_option.hpp"
#include "runner/daemon.hpp"
#include "runner/status.hpp"
#include "runner/submit.hpp"
#include "store/experiment_repo.hpp"
#include "util/error.hpp"

namespace seedline::cli {
namespace {

struct DaemonCliOptions {
  int threads = 0;  // 0: every core
  bool once = false;
  std::string experiment;
  double stale_after = 60;
  double poll = 1;
};

int default_threads(int requested) {
  if (requested > 0) return requested;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

void run_daemon_cmd(const GlobalOptions& global, const DaemonCliOptions& o, runner::Executor* executor,
                    const std::atomic<bool>& stop) {
  auto db = open_db(global, store::OpenPurpose::kWrite);
  runner::DaemonOptions options;
  // Under --mpi the job's threads evaluate (--threads on every rank); the daemon's own pool
  // is then unused.
  options.threads = executor != nullptr ? 1 : default_threads(o.threads);
  options.executor = executor;
  options.once = o.once;
  options.stale_after = o.stale_after;
  options.poll_seconds = o.poll;
  if (!o.experiment.empty()) options.experiment_id = store::resolve_experiment(db, o.experiment).id;
  const auto progress = runner::make_progress(std::cerr, ::isatty(2) != 0);
  options.progress = progress.get();
  options.log = &std::cerr;
  const std::string evaluating = executor != nullptr ? std::string("evaluating on the MPI job")
                                                     : std::to_string(options.threads) + " thread" +
                                                           (options.threads == 1 ? "" : "s");
  std::cerr << runner::log_timestamp() << " seedline daemon: " << resolve_db_path(global).string() << ", "
            << evaluating << (o.once ? ", until no run is claimable" : ", polling")
            << " (stop with Ctrl-C or SIGTERM)\n";
  const auto report = runner::run_daemon(db, options, stop);
  std::cout << "daemon " << report.owner << (report.stopped ? " stopped" : " done") << ": "
            << report.finished.size() << " finished, " << report.paused.size() << " paused, " << report.failed.size()
            << " failed, " << report.lost.size() << " handed over\n";
}

// The commands a user runs next, with --db when it is not the default.
void print_next_steps(const GlobalOptions& global, const store::ExperimentRow& experiment,
                      const std::vector<store::RunSummary>& runs) {
  const std::string seedline = seedline_command(global);
  const store::RunSummary* best = nullptr;
  for (const auto& r : runs) {
    if (r.best_fitness && (best == nullptr || *r.best_fitness > *best->best_fitness)) best = &r;
  }
  const std::string id = best != nullptr ? std::to_string(*best->best_individual) : "ID";
  std::cout << "\nNext steps:\n"
            << "  " << seedline << " status --experiment " << experiment.id << "\n"
            << "  " << seedline << " lineage " << id << "          # ancestors of the best individual, root first\n"
            << "  " << seedline << " genome " << id << " --out best.safetensors   # rebuild and export its genome\n"
            << "  " << seedline << " serve            # dashboard at http://127.0.0.1:8080\n";
}

// Why a run of this `seedline run` did not end finished or failed.
std::string unfinished_reason(const runner::DaemonReport& report, int64_t run, const std::string& daemon_error,
                              const std::vector<store::RunSummary>& runs) {
  if (const auto it = report.lost_because.find(run); it != report.lost_because.end()) return it->second;
  if (!daemon_error.empty()) return "not run: " + daemon_error;
  for (const auto& r : runs) {
    if (r.run.id == run) {
      return "not run here (state '" + std::string(store::run_state_name(r.run.state)) +
             "': another daemon holds it)";
    }
  }
  return "not run here";
}

// The table, then the outcome. A run that neither finished nor failed (a database write
// failed: disk full, a lock held past the busy timeout) is named with its reason and the
// command fails: printing "Next steps" then would hide runs that are left 'running'.
void report_run_outcome(store::Database& db, const GlobalOptions& global, const runner::SubmittedExperiment& submitted,
                        const runner::DaemonReport& report, const std::string& daemon_error) {
  std::vector<store::RunSummary> runs;
  try {
    runs = store::run_summaries(db, submitted.experiment_id);
    std::cout << "\n" << runner::status_table(runs);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kIOError) throw;
    std::cerr << "seedline run: cannot read the runs' state now: " << e.what() << '\n';
  }
  if (report.stopped && daemon_error.empty() && report.lost.empty()) {
    std::cout << "stopped: the unfinished runs are paused; resume them with `" << seedline_command(global)
              << " daemon --once --experiment " << submitted.experiment_id << "`\n";
    return;
  }
  std::vector<int64_t> unfinished;
  for (const int64_t id : submitted.runs) {
    const auto done = [id](const std::vector<int64_t>& ids) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
    if (!done(report.finished) && !done(report.failed) && !done(report.paused)) unfinished.push_back(id);
  }
  if (!unfinished.empty()) {
    std::string list;
    for (const int64_t id : unfinished) {
      std::cerr << "seedline run: run " << id << " did not finish: "
                << unfinished_reason(report, id, daemon_error, runs) << '\n';
      list += (list.empty() ? "" : ", ") + std::to_string(id);
    }
    io_error(std::to_string(unfinished.size()) + " of " + std::to_string(submitted.runs.size()) +
             " runs did not finish (run" + (unfinished.size() == 1 ? " " : "s ") + list +
             "); they resume from their last committed generation with `" + seedline_command(global) +
                 " daemon --once --experiment " +
             std::to_string(submitted.experiment_id) + "` once their heartbeat is stale");
  }
  const auto experiment = store::find_experiment(db, submitted.experiment_id).value();
  print_next_steps(global, experiment, runs);
  if (!report.failed.empty()) {
    fail(ErrorCode::kFailedPrecondition, std::to_string(report.failed.size()) + " of " + std::to_string(runs.size()) +
                                             " runs failed (see the message column above)");
  }
}

// Whether a signal stopped it (its runs paused): the command then exits 130, so a script
// does not take a paused experiment for a finished one.
bool run_run_cmd(const GlobalOptions& global, const std::string& file, int threads, runner::Executor* executor,
                 const std::atomic<bool>& stop) {
  // Checked before the database is opened, so a bad file does not create or initialize it.
  auto spec = runner::read_experiment_file(file);
  runner::check_experiment(spec, file);
  auto db = open_db(global, store::OpenPurpose::kCreate);
  const auto submitted = runner::submit_experiment(db, std::move(spec), file);
  std::cout << "experiment " << submitted.experiment_id << " '" << submitted.name << "': " << submitted.runs.size()
            << " run" << (submitted.runs.size() == 1 ? "" : "s") << " (" << submitted.conditions.size()
            << " conditions x " << submitted.trials << " trials)\n"
            << std::flush;
  runner::DaemonOptions options;
  options.threads = executor != nullptr ? 1 : default_threads(threads);
  options.executor = executor;
  options.once = true;
  options.experiment_id = submitted.experiment_id;
  const auto progress = runner::make_progress(std::cerr, ::isatty(2) != 0);
  options.progress = progress.get();
  runner::DaemonReport report;
  std::string daemon_error;  // why the daemon gave up, when a store error ended it early
  try {
    report = runner::run_daemon(db, options, stop);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kIOError) throw;
    daemon_error = e.what();
  }
  report_run_outcome(db, global, submitted, report, daemon_error);
  return report.stopped;
}

}  // namespace

void register_daemon_commands(CLI::App& app, const GlobalOptions& global) {
  {
    auto* cmd = app.add_subcommand("daemon", "Claim queued, paused or stale runs and evolve them");
    auto o = std::make_shared<DaemonCliOptions>();
    cmd->add_option("--threads", o->threads, "Worker threads (default: every core)")->check(CLI::Range(1, 1024));
    cmd->add_flag("--once", o->once, "Exit when no run is claimable instead of polling");
    cmd->add_option("--experiment", o->experiment, "Only this experiment's runs (id or name)");
    cmd->add_option("--stale-after", o->stale_after,
                    "Seconds without a heartbeat after which a running run is taken over")
        ->check(finite_range(0.05, 1e7))
        ->capture_default_str();
    cmd->add_option("--poll", o->poll, "Seconds between claims when idle")
        ->check(finite_range(0.01, 3600.0))
        ->capture_default_str();
    auto mpi = std::make_shared<MpiCliOptions>();
    add_mpi_options(cmd, *mpi);
    cmd->callback([&global, o, mpi] {
      run_maybe_distributed(*mpi, default_threads(o->threads),
                            [&](runner::Executor* executor, const std::atomic<bool>& stop) {
                              run_daemon_cmd(global, *o, executor, stop);
                            });
    });
  }
  {
    auto* cmd = app.add_subcommand("run", "Submit an experiment and run it to the end in this process");
    auto file = std::make_shared<std::string>();
    auto threads = std::make_shared<int>(0);
    cmd->add_option("EXPERIMENT", *file, "Experiment file (JSON, comments allowed)")->required();
    cmd->add_option("--threads", *threads, "Worker threads (default: every core)")->check(CLI::Range(1, 1024));
    auto mpi = std::make_shared<MpiCliOptions>();
    add_mpi_options(cmd, *mpi);
    cmd->callback([&global, file, threads, mpi] {
      bool stopped = false;
      run_maybe_distributed(*mpi, default_threads(*threads),
                            [&](runner::Executor* executor, const std::atomic<bool>& stop) {
                              stopped = run_run_cmd(global, *file, *threads, executor, stop);
                            });
      if (stopped) throw ExitStatus{130};  // 128 + SIGINT, as a shell reports a command Ctrl-C ended
    });
  }
}

}  // namespace seedline::cli
