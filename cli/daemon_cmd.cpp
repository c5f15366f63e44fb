// seedline daemon [--threads N] [--once] [--experiment X] [--stale-after S] [--mpi [--wire-stats F]]
// seedline run EXPERIMENT.json [--threads N] [--mpi [--wire-stats F]]: submit, then run it to
// the end here; exits 1 naming every run that did not finish (a failed database write, a run
// failed by its task), 130 when SIGINT/SIGTERM stopped it (its runs paused). With --mpi (under mpirun) rank 0 does all of that and every other
// rank only evaluates (cli/mpi_option.hpp, docs/distributed.md).
// seedline retry --experiment X [--run N] [--threads N] [--queue] [--stale-after S]: put the
// failed or abandoned runs back in the queue (src/runner/retry.hpp) and, unless --queue, run
// them here to the end as `run` does.
// After `run` and `retry` every run that did not finish is named with its own state.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include "common.hpp"
#include "mpi_option.hpp"
#include "runner/daemon.hpp"
#include "runner/retry.hpp"
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
  // The experiments of these runs; those the database cannot tell now are left out.
  const auto experiments_of = [&db](const std::vector<int64_t>& ids) {
    std::set<int64_t> out;
    for (const int64_t id : ids) {
      try {
        if (const auto run = store::find_run(db, id)) out.insert(run->experiment_id);
      } catch (const Error&) {
      }
    }
    return out;
  };
  for (const int64_t e : experiments_of(report.failed)) {
    std::cout << "once the cause is fixed, `" << seedline_command(global) << " retry --experiment " << e
              << "` resumes experiment " << e << "'s failed runs from their last committed generation\n";
  }
  if (!report.gave_up.empty()) {
    std::string commands;  // for the runs a database error left running
    for (const int64_t e : experiments_of(report.lost)) {
      commands += (commands.empty() ? "" : ", ") + ("`" + seedline_command(global) + " retry --experiment " +
                                                     std::to_string(e) + "`");
    }
    io_error("stopped claiming runs: " + report.gave_up + "; nothing committed is lost" +
             (commands.empty() ? std::string()
                               : "; the runs it left resume from their last committed generation with " + commands));
  }
}

// The commands a user runs next, with --db when it is not the default.
void print_next_steps(const GlobalOptions& global, int64_t experiment_id, const std::vector<store::RunSummary>& runs,
                      bool failed) {
  const std::string seedline = seedline_command(global);
  const store::RunSummary* best = nullptr;
  for (const auto& r : runs) {
    if (r.best_fitness && (best == nullptr || *r.best_fitness > *best->best_fitness)) best = &r;
  }
  const std::string id = best != nullptr ? std::to_string(*best->best_individual) : "ID";
  std::cout << "\nNext steps:\n"
            << "  " << seedline << " status --experiment " << experiment_id << "\n";
  if (failed) {
    std::cout << "  " << seedline << " retry --experiment " << experiment_id
              << "   # once the cause is fixed: the failed runs resume from their last committed generation\n";
  }
  std::cout << "  " << seedline << " lineage " << id << "          # ancestors of the best individual, root first\n"
            << "  " << seedline << " genome " << id << " --out best.safetensors   # rebuild and export its genome\n"
            << "  " << seedline << " serve            # dashboard at http://127.0.0.1:8080\n";
}

bool contains(const std::vector<int64_t>& ids, int64_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

std::string committed_text(const store::RunSummary& s) {
  if (s.last_generation < 0) return "no generation committed";
  if (s.last_generation == 0) return "generation 0 committed";
  return "generations 0-" + std::to_string(s.last_generation) + " committed";
}

// What became of one run this command was to drive.
struct RunFate {
  bool done = false;  // finished or failed: an end state
  std::string text;   // empty when it finished
};

// Each run's real state: what this process saw happen to it (the daemon's report) and, for
// a run it never got to, the state stored now (`s`; null when the database could not be read).
RunFate run_fate(const runner::DaemonReport& report, int64_t id, const store::RunSummary* s) {
  const bool known = s != nullptr;
  const store::RunState state = known ? s->run.state : store::RunState::kQueued;
  if (contains(report.finished, id) || (known && state == store::RunState::kFinished)) return {true, ""};
  if (contains(report.failed, id) || (known && state == store::RunState::kFailed)) {
    const std::string message = s != nullptr && s->run.message ? *s->run.message : std::string("see `seedline status`");
    return {true, "failed: " + message};
  }
  if (contains(report.paused, id)) {
    return {false, "paused (" + (s != nullptr && s->run.message ? *s->run.message : std::string("stopped")) + ")"};
  }
  if (contains(report.lost, id)) {
    const auto it = report.lost_because.find(id);
    const std::string why = it != report.lost_because.end() ? it->second : "lost";
    if (s != nullptr && s->run.state == store::RunState::kRunning && s->run.owner == report.owner) {
      // Left running by this process: it resumes at the generation that did not commit.
      return {false, "stopped by a database error: generation " + std::to_string(s->last_generation + 1) +
                         " was not committed (" + committed_text(*s) + ", kept): " + why};
    }
    return {false, "did not finish: " + why};
  }
  if (!known) return {false, "state unknown (the database could not be read)"};
  const std::string because = report.gave_up.empty() ? "" : " (no run was claimed after the database error)";
  switch (state) {
    case store::RunState::kQueued:
      return {false, (s->last_generation < 0 ? "never started (still queued)" : "still queued, " + committed_text(*s)) +
                         because};
    case store::RunState::kPaused: return {false, "paused, " + committed_text(*s) + ", not resumed here" + because};
    case store::RunState::kRunning:
      return {false, "running under another daemon (" + s->run.owner.value_or("?") + "), " + committed_text(*s)};
    default: return {true, ""};
  }
}

// The table of `runs` (the runs this command was to drive), then each run's fate and the
// outcome. A run that neither finished nor failed (a database write failed: disk full, a
// lock held past the busy timeout; or the daemon never got to it) is named with its own
// state and the command fails: printing "Next steps" then would hide runs that are left
// unfinished. `command` names this command in messages ("seedline run").
void report_run_outcome(store::Database& db, const GlobalOptions& global, int64_t experiment_id,
                        const std::vector<int64_t>& ids, const runner::DaemonReport& report, const std::string& command) {
  std::vector<store::RunSummary> runs;
  bool read = false;
  try {
    for (auto& r : store::run_summaries(db, experiment_id)) {
      if (contains(ids, r.run.id)) runs.push_back(std::move(r));
    }
    read = true;
    std::cout << "\n" << runner::status_table(runs);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kIOError) throw;
    std::cerr << command << ": cannot read the runs' state now: " << e.what() << '\n';
  }
  const std::string retry = seedline_command(global) + " retry --experiment " + std::to_string(experiment_id);
  if (report.stopped && report.gave_up.empty() && report.lost.empty()) {
    std::cout << "stopped: the unfinished runs are paused; resume them with `" << retry << "`\n";
    return;
  }
  std::vector<int64_t> unfinished;
  int failed = 0;
  for (const int64_t id : ids) {
    const store::RunSummary* s = nullptr;
    for (const auto& r : runs) {
      if (r.run.id == id) s = &r;
    }
    const auto fate = run_fate(report, id, read ? s : nullptr);
    if (fate.text.empty()) continue;
    std::cerr << command << ": run " << id;
    if (s != nullptr) std::cerr << " (" << s->run.condition << ", trial " << s->run.trial << ")";
    std::cerr << ": " << fate.text << '\n';
    if (fate.done) ++failed;
    else unfinished.push_back(id);
  }
  if (!unfinished.empty()) {
    std::string list;
    for (const int64_t id : unfinished) list += (list.empty() ? "" : ", ") + std::to_string(id);
    io_error(std::to_string(unfinished.size()) + " of " + std::to_string(ids.size()) + " runs did not finish (run" +
             (unfinished.size() == 1 ? " " : "s ") + list + ")" +
             (report.gave_up.empty() ? "" : "; the database error that ended this command: " + report.gave_up) +
             "; nothing committed is lost: retry them from their last committed generation with `" + retry + "`");
  }
  print_next_steps(global, experiment_id, runs, failed > 0);
  if (failed > 0) {
    fail(ErrorCode::kFailedPrecondition, std::to_string(failed) + " of " + std::to_string(ids.size()) +
                                             " runs failed (named above); once the cause is fixed, `" + retry +
                                             "` resumes them from their last committed generation");
  }
}

runner::DaemonOptions once_options(int threads, runner::Executor* executor, int64_t experiment_id) {
  runner::DaemonOptions options;
  options.threads = executor != nullptr ? 1 : default_threads(threads);
  options.executor = executor;
  options.once = true;
  options.experiment_id = experiment_id;
  return options;
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
  auto options = once_options(threads, executor, submitted.experiment_id);
  const auto progress = runner::make_progress(std::cerr, ::isatty(2) != 0);
  options.progress = progress.get();
  const auto report = runner::run_daemon(db, options, stop);
  report_run_outcome(db, global, submitted.experiment_id, submitted.runs, report, "seedline run");
  return report.stopped;
}

struct RetryCliOptions {
  std::string experiment;
  int64_t run = 0;  // 0: every run of the experiment
  int threads = 0;
  bool queue = false;
  double stale_after = 60;
};

std::string retry_line(const runner::RetriedRun& r) {
  const auto& s = r.before;
  std::string line = "run " + std::to_string(s.run.id) + " (" + s.run.condition + ", trial " +
                     std::to_string(s.run.trial) + "): " + std::string(store::run_state_name(s.run.state)) + ", " +
                     committed_text(s);
  switch (r.kind) {
    case runner::RetryKind::kRequeued:
      return line + " (" + r.why + "): queued again; resumes from generation " + std::to_string(s.last_generation + 1);
    case runner::RetryKind::kResumable:
      return line + ": resumes from generation " + std::to_string(s.last_generation + 1);
    case runner::RetryKind::kFinished: return line + ": nothing to do";
    case runner::RetryKind::kLive: return line + ": " + r.why + "; not touched";
  }
  return line;
}

void run_retry_cmd(const GlobalOptions& global, const RetryCliOptions& o, const std::atomic<bool>& stop) {
  auto db = open_db(global, store::OpenPurpose::kWrite);
  const auto experiment = store::resolve_experiment(db, o.experiment);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto retried = runner::retry_runs(db, experiment.id, o.run > 0 ? std::optional<int64_t>(o.run) : std::nullopt,
                                          o.stale_after, now);
  std::vector<int64_t> ids;
  std::cout << "experiment " << experiment.id << " '" << experiment.name << "':\n";
  for (const auto& r : retried) {
    std::cout << "  " << retry_line(r) << '\n';
    if (r.kind == runner::RetryKind::kRequeued || r.kind == runner::RetryKind::kResumable) ids.push_back(r.before.run.id);
  }
  std::cout << std::flush;
  if (ids.empty()) {
    std::cout << "nothing to retry\n";
    return;
  }
  if (o.queue) {
    std::cout << ids.size() << " run" << (ids.size() == 1 ? "" : "s") << " in the queue; any daemon resumes them, e.g. `"
              << seedline_command(global) << " daemon --once --experiment " << experiment.id << "`\n";
    return;
  }
  auto options = once_options(o.threads, nullptr, experiment.id);
  if (o.run > 0) options.run_id = o.run;
  options.stale_after = o.stale_after;
  const auto progress = runner::make_progress(std::cerr, ::isatty(2) != 0);
  options.progress = progress.get();
  const auto report = runner::run_daemon(db, options, stop);
  report_run_outcome(db, global, experiment.id, ids, report, "seedline retry");
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
  {
    auto* cmd = app.add_subcommand(
        "retry", "Put an experiment's failed or abandoned runs back in the queue and run them here to the end");
    auto o = std::make_shared<RetryCliOptions>();
    cmd->add_option("--experiment", o->experiment, "Experiment id or name")->required();
    add_id_option(cmd, "--run", o->run, "Only this run (default: every run of the experiment)")->required(false);
    cmd->add_option("--threads", o->threads, "Worker threads (default: every core)")->check(CLI::Range(1, 1024));
    cmd->add_flag("--queue", o->queue, "Only put them back in the queue, for a running daemon (or mpirun ... daemon --mpi)");
    cmd->add_option("--stale-after", o->stale_after,
                    "Seconds without a heartbeat after which a running run counts as abandoned (one whose process on this "
                    "host is gone counts at once)")
        ->check(finite_range(0.05, 1e7))
        ->capture_default_str();
    cmd->callback([&global, o] { run_retry_cmd(global, *o, runner::install_stop_signals()); });
  }
}

}  // namespace seedline::cli
