// run_job over MPI (compiled only with SEEDLINE_MPI; no_mpi.cpp otherwise).
#include <signal.h>
#include <unistd.h>

#include <fstream>
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

// One JSON line per generation, and the totals for the log.
class WireLog {
 public:
  explicit WireLog(const std::string& path) {
    if (path.empty()) return;
    file_.open(path, std::ios::out | std::ios::trunc);
    if (!file_) io_error("--wire-stats " + path + ": cannot open for writing");
  }
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
    if (!file_.is_open()) return;
    auto j = g.counters.to_json();
    j["run"] = g.run_id;
    j["index"] = g.generation;
    j["evaluated"] = g.evaluated;
    j["members"] = g.members;
    j["bytes"] = bytes;
    j["one_off_bytes"] = one_off;
    file_ << j.dump() << '\n' << std::flush;
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
  std::ofstream file_;
  int64_t generations_ = 0, evaluated_ = 0, bytes_ = 0, one_off_ = 0;
};

void coordinate_job(const JobOptions& options, MpiTransport& transport,
                    const std::function<void(runner::Executor&)>& coordinate) {
  WireLog wire(options.wire_stats);
  std::optional<Dealer> dealer;
  try {
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
    eo.on_generation = [&wire](const GenerationWire& g) { wire.add(g); };
    RemoteExecutor executor(*dealer, eo);
    coordinate(executor);
  } catch (...) {
    // Send every worker home, then report rank 0's error.
    for (int r = 1; r < transport.size(); ++r) transport.send(r, MessageKind::kShutdown, {});
    throw;
  }
  dealer->shutdown();
  if (options.log != nullptr) wire.summary(*options.log);
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
