// run_job over MPI (compiled only with SEEDLINE_MPI; no_mpi.cpp otherwise).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <optional>

#include "distributed/executor_worker.hpp"
#include "distributed/job.hpp"
#include "distributed/mpi_transport.hpp"
#include "distributed/remote_executor.hpp"
#include "util/error.hpp"

namespace seedline::distributed {
namespace {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

// A worker rank: serve until rank 0 says shutdown. SIGINT and SIGTERM (mpirun forwards them
// to every rank) are ignored here: rank 0 pauses the run and sends everyone home.
void serve(const JobOptions& options, int rank) {
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  try {
    MpiTransport transport;
    runner::ThreadPool pool(std::max(1, options.threads));
    ExecutorWorker handler(pool);
    serve_worker(transport, handler);
  } catch (const std::exception& e) {
    std::cerr << "seedline (rank " << rank << " on " << host_name() << "): error: " << e.what() << std::endl;
    MpiSession::abort(1);
  }
}

// One JSON line per generation, and the totals for the log. The file is opened before the
// workers are greeted (a bad path ends the job before it starts); a line that cannot be
// written whole (a full disk, /dev/full) asks the job to stop (`on_failure`: the runs pause
// as on SIGTERM) and close() then throws, so an incomplete file never passes for a complete one.
class WireLog {
 public:
  WireLog(const std::string& path, std::function<void()> on_failure)
      : path_(path), on_failure_(std::move(on_failure)) {
    if (path.empty()) return;
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr) io_error("--wire-stats " + path + ": cannot open for writing: " + std::strerror(errno));
  }
  ~WireLog() {
    if (file_ != nullptr) std::fclose(file_);
  }
  WireLog(const WireLog&) = delete;
  WireLog& operator=(const WireLog&) = delete;

  // The run start and a resumed run's genotypes are one-offs, kept apart from the
  // generation's own traffic.
  void add(const GenerationWire& g) {
    const int64_t one_off =
        g.counters.sent(MessageKind::kRunStart).bytes + g.counters.sent(MessageKind::kGenotype).bytes;
    const int64_t bytes = g.counters.total_sent().bytes + g.counters.total_received().bytes - one_off;
    ++generations_;
    evaluated_ += g.evaluated;
    bytes_ += bytes;
    one_off_ += one_off;
    if (file_ == nullptr || !error_.empty()) return;
    auto j = g.counters.to_json();
    j["run"] = g.run_id;
    j["index"] = g.generation;
    j["evaluated"] = g.evaluated;
    j["members"] = g.members;
    j["bytes"] = bytes;
    j["one_off_bytes"] = one_off;
    const std::string line = j.dump() + '\n';
    errno = 0;
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
      error_ = errno != 0 ? std::strerror(errno) : "short write";
      if (on_failure_) on_failure_();
      return;
    }
    ++lines_;
  }
  // Closes the file; throws kIOError when a line could not be written (or the close failed).
  void close() {
    if (file_ == nullptr) return;
    errno = 0;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!closed && error_.empty()) error_ = errno != 0 ? std::strerror(errno) : "close failed";
    if (error_.empty()) return;
    io_error("--wire-stats " + path_ + ": cannot write: " + error_ + " (" + std::to_string(lines_) + " of " +
             std::to_string(generations_) + " generation lines written; the job stopped at the failure, its runs "
             "paused: they resume from their last committed generation)");
  }
  void summary(std::ostream& out) const {
    out << "seedline mpi: " << generations_ << " generation" << (generations_ == 1 ? "" : "s") << ", " << bytes_
        << " bytes on the wire";
    if (evaluated_ > 0) {
      out << " (" << std::fixed << std::setprecision(1) << static_cast<double>(bytes_) / static_cast<double>(evaluated_)
          << std::defaultfloat << " per evaluated item)";
    }
    out << ", plus " << one_off_ << " bytes of run starts and genotypes\n";
  }

 private:
  std::string path_;
  std::function<void()> on_failure_;
  std::FILE* file_ = nullptr;
  std::string error_;  // why a line could not be written; empty while all went well
  int64_t lines_ = 0;
  int64_t generations_ = 0, evaluated_ = 0, bytes_ = 0, one_off_ = 0;
};

// Every worker rank waits for rank 0's hello (or shutdown) first, so anything rank 0 throws
// before or during the job sends them all home before it is rethrown: the job ends on every
// rank with rank 0's error printed once (by main), never with workers waiting in MPI.
void coordinate_job(const JobOptions& options, MpiTransport& transport,
                    const std::function<void(runner::Executor&)>& coordinate) {
  std::optional<WireLog> wire;
  std::optional<Dealer> dealer;
  try {
    wire.emplace(options.wire_stats, options.request_stop);
    dealer.emplace(transport);
    if (options.log != nullptr) {
      int threads = std::max(1, options.threads);
      for (const auto& w : dealer->workers()) threads += w.threads;
      *options.log << "seedline mpi: " << transport.size() << " rank" << (transport.size() == 1 ? "" : "s") << ", "
                   << threads << " evaluation threads in all\n";
    }
    runner::ThreadPool pool(std::max(1, options.threads));
    RemoteExecutor::Options eo;
    eo.local_pool = &pool;
    if (options.stop != nullptr) eo.interrupted = [stop = options.stop] { return stop->load(); };
    eo.on_generation = [&wire](const GenerationWire& g) { wire->add(g); };
    RemoteExecutor executor(*dealer, eo);
    coordinate(executor);
  } catch (...) {
    // Send every worker home, then report rank 0's error.
    for (int r = 1; r < transport.size(); ++r) transport.send(r, MessageKind::kShutdown, {});
    throw;
  }
  dealer->shutdown();
  if (options.log != nullptr) wire->summary(*options.log);
  wire->close();
}

}  // namespace

bool mpi_built() { return true; }

bool run_job(const JobOptions& options, const std::function<void(runner::Executor&)>& coordinate) {
  MpiSession session;
  if (session.rank() != 0) {
    serve(options, session.rank());
    return false;
  }
  MpiTransport transport;
  coordinate_job(options, transport, coordinate);
  return true;
}

}  // namespace seedline::distributed
