// The distributed job as the command line starts it: `mpirun -n N seedline run --mpi FILE`
// and `mpirun -n N seedline daemon --mpi` (docs/distributed.md). Every rank runs the same
// command; run_job decides who does what: rank 0 greets the workers and calls the
// caller's `coordinate` with an Executor spread over the job (RemoteExecutor: it opens the
// database, claims, heartbeats and commits exactly as a plain daemon, evaluating through
// the executor), and every other rank serves as a worker (ExecutorWorker on its own thread
// pool) until rank 0 is done.
//
// Thread-safety: one run_job per process (MPI is initialised once, SERIALIZED).
// Failure: without MPI built in, run_job throws seedline::Error kUnimplemented saying so. On
// rank 0, whatever `coordinate` throws is rethrown after every worker was told to leave, so
// the job ends cleanly with rank 0's error, printed once: that includes a --wire-stats path
// that cannot be opened (checked before the workers are greeted). A --wire-stats line that
// cannot be written whole stops the job as SIGTERM would (options.request_stop), and run_job
// then throws kIOError naming the file. A worker that cannot go on (a message it cannot
// decode) prints "seedline (rank R on HOST): error: ..." and ends the whole job with status
// 1 (MPI_Abort); a rank that dies ends the job too (Open MPI's default).
#pragma once

#include <atomic>
#include <functional>
#include <ostream>
#include <string>

#include "runner/work.hpp"

namespace seedline::distributed {

// Whether this binary was built with MPI (the CMake option SEEDLINE_MPI).
bool mpi_built();

struct JobOptions {
  int threads = 1;                          // evaluation threads on every rank, rank 0 included
  std::string wire_stats;                   // rank 0 writes one JSON line per generation here; empty: none
  std::ostream* log = nullptr;              // rank 0: the job's shape at start, wire totals at the end
  const std::atomic<bool>* stop = nullptr;  // rank 0's stop request (SIGINT/SIGTERM); may be null
  // Rank 0: asks the caller to stop as on SIGTERM (its runs pause), when the job cannot go on
  // as asked: a --wire-stats line could not be written. May be empty.
  std::function<void()> request_stop;
};

// Runs this process's part of the job. Returns true on rank 0 (after `coordinate` returned),
// false on every other rank (after rank 0 said shutdown); the caller prints nothing there.
bool run_job(const JobOptions& options, const std::function<void(runner::Executor&)>& coordinate);

}  // namespace seedline::distributed
