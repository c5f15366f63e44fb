// --mpi for `seedline run` and `seedline daemon`: the flag, --wire-stats, and running a
// command's body either here or as rank 0 of an MPI job (docs/distributed.md).
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <string>

#include "runner/work.hpp"

namespace seedline::cli {

struct MpiCliOptions {
  bool mpi = false;
  std::string wire_stats;  // --wire-stats FILE
};

// Adds --mpi and --wire-stats to `cmd`.
void add_mpi_options(CLI::App* cmd, MpiCliOptions& options);

// Installs the stop signals and calls `body(executor, stop)`: here with no executor, or with
// --mpi on rank 0 of the job with an executor spread over every rank (`threads` evaluation
// threads per rank); on the other ranks `body` is not called at all, they evaluate until
// rank 0 is done. Throws kInvalidArgument for --wire-stats without --mpi, and whatever
// distributed::run_job throws (kUnimplemented in a binary without MPI).
void run_maybe_distributed(const MpiCliOptions& options, int threads,
                           const std::function<void(runner::Executor*, const std::atomic<bool>&)>& body);

}  // namespace seedline::cli
