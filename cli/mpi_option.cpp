#include "mpi_option.hpp"

#include <iostream>

#include "distributed/job.hpp"
#include "runner/daemon.hpp"
#include "util/error.hpp"

namespace seedline::cli {

void add_mpi_options(CLI::App* cmd, MpiCliOptions& options) {
  cmd->add_flag("--mpi", options.mpi,
                "One MPI job (start with mpirun): rank 0 opens the database, every other rank evaluates");
  cmd->add_option("--wire-stats", options.wire_stats,
                  "With --mpi: write the bytes on the wire per generation to this file (JSON lines)");
}

void run_maybe_distributed(const MpiCliOptions& options, int threads,
                           const std::function<void(runner::Executor*, const std::atomic<bool>&)>& body) {
  if (!options.mpi) {
    if (!options.wire_stats.empty()) invalid_argument("--wire-stats " + options.wire_stats + ": only with --mpi");
    body(nullptr, runner::install_stop_signals());
    return;
  }
  // Worker ranks then ignore SIGINT/SIGTERM (mpirun forwards them to every rank): rank 0
  // pauses its run and sends them home.
  const auto& stop = runner::install_stop_signals();
  distributed::JobOptions job;
  job.threads = threads;
  job.wire_stats = options.wire_stats;
  job.log = &std::cerr;
  job.stop = &stop;
  job.request_stop = runner::request_stop;
  distributed::run_job(job, [&](runner::Executor& executor) { body(&executor, stop); });
}

}  // namespace seedline::cli
