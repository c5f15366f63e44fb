// The transport over real MPI, run by CTest as `mpirun --oversubscribe -n 3` (see
// tests/distributed/CMakeLists.txt): rank 0 greets the workers, starts a run with two
// genotypes, deals three stages of items (one with a poisoned item that must fail the stage
// naming the rank, after which the next stage must come back whole), and shuts down. Then
// every rank's byte counters are gathered: what rank 0 sent of each kind must be what the
// workers received, and back. Prints one line per check; exit status 0 only if all held.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "distributed/dealer.hpp"
#include "distributed/mpi_transport.hpp"
#include "distributed/worker.hpp"
#include "util/error.hpp"

namespace seedline::distributed {
namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

ItemResult expected(const WorkItem& item) {
  const uint64_t mix = (item.source.seed * 0x9E3779B97F4A7C15ULL) ^ item.episode_seed;
  return {item.index, std::ldexp(static_cast<double>(mix >> 11), -53), static_cast<int64_t>(mix % 1000), {}};
}

void evaluate_chunk(std::span<const WorkItem> items, std::span<ItemResult> results) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].source.seed == 13) throw std::runtime_error("poisoned item");
    results[i] = expected(items[i]);
  }
}

class Handler : public WorkerHandler {
 public:
  int threads() const override { return 2; }
  void start_run(const RunStart&) override {}
  void add_genotype(Genotype g) override { genotype_floats += static_cast<int64_t>(g.values.size()); }
  void select(const Selection&) override {}
  void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) override {
    evaluate_chunk(items, results);
  }
  void end_run(int64_t) override {}
  int64_t genotype_floats = 0;
};

std::vector<WorkItem> items(size_t n, bool poison) {
  std::vector<WorkItem> v;
  for (size_t i = 0; i < n; ++i) {
    v.push_back({0, static_cast<uint32_t>(i), {Source::Kind::kChild, static_cast<int32_t>(i % 4),
                                               poison && i == n / 2 ? 13 : 500 + i},
                 0, 0, 99});
  }
  return v;
}

bool all_expected(const std::vector<WorkItem>& in, const std::vector<ItemResult>& out) {
  if (in.size() != out.size()) return false;
  for (size_t i = 0; i < in.size(); ++i) {
    auto want = expected(in[i]);
    want.index = static_cast<uint32_t>(i);
    if (!(out[i] == want)) return false;
  }
  return true;
}

// Sums a counter table (kinds x {sent msgs, sent bytes, received msgs, received bytes}) of
// the workers onto rank 0.
std::vector<int64_t> worker_totals(MpiTransport& t) {
  std::vector<int64_t> mine(4 * (kMessageKinds + 1), 0), sum(mine.size(), 0);
  if (t.rank() != 0) {
    for (int k = 1; k <= kMessageKinds; ++k) {
      const auto kind = static_cast<MessageKind>(k);
      mine[4 * k + 0] = t.counters().sent(kind).messages;
      mine[4 * k + 1] = t.counters().sent(kind).bytes;
      mine[4 * k + 2] = t.counters().received(kind).messages;
      mine[4 * k + 3] = t.counters().received(kind).bytes;
    }
  }
  MPI_Reduce(mine.data(), sum.data(), static_cast<int>(mine.size()), MPI_INT64_T, MPI_SUM, 0, t.comm());
  return sum;
}

int run() {
  MpiTransport transport;
  if (transport.rank() != 0) {
    Handler handler;
    const auto report = serve_worker(transport, handler);
    worker_totals(transport);
    std::printf("rank %d: %lld items, %lld failures, %lld genotype floats\n", transport.rank(),
                static_cast<long long>(report.items), static_cast<long long>(report.failures),
                static_cast<long long>(handler.genotype_floats));
    return handler.genotype_floats == 2 * 1000 ? 0 : 1;
  }
  check(transport.size() == 3, "3 ranks (got " + std::to_string(transport.size()) + ")");
  Dealer dealer(transport);
  check(dealer.workers().size() == 2 && dealer.workers()[0].threads == 2, "hello from both workers with 2 threads");
  std::vector<Genotype> parents;
  for (uint32_t s = 0; s < 2; ++s) parents.push_back({1, s, 0, std::vector<float>(1000, static_cast<float>(s))});
  dealer.start_run(RunStart{1, 1, 0, "{}"}, parents);

  LocalEvaluation local{1, evaluate_chunk};
  const auto plain = items(3000, false);
  check(all_expected(plain, dealer.evaluate(plain, &local)), "3000 items, every result in item order");
  dealer.select(Selection{1, {{Source::Kind::kElite, 0, 0}, {Source::Kind::kChild, 1, 3}}, 0});
  bool failed_by_name = false;
  try {
    dealer.evaluate(items(400, true), nullptr);
  } catch (const Error& e) {
    failed_by_name = std::string(e.what()).find("poisoned item") != std::string::npos &&
                     std::string(e.what()).find("rank ") != std::string::npos;
    std::printf("expected failure: %s\n", e.what());
  }
  check(failed_by_name, "a poisoned item fails the stage naming its rank");
  check(all_expected(plain, dealer.evaluate(plain, nullptr)), "the next stage comes back whole");
  dealer.end_run(1);
  dealer.shutdown();

  const auto sum = worker_totals(transport);
  bool agree = true;
  for (int k = 1; k <= kMessageKinds; ++k) {
    const auto kind = static_cast<MessageKind>(k);
    const auto& c = transport.counters();
    agree = agree && c.sent(kind).messages == sum[4 * k + 2] && c.sent(kind).bytes == sum[4 * k + 3] &&
            c.received(kind).messages == sum[4 * k + 0] && c.received(kind).bytes == sum[4 * k + 1];
  }
  check(agree, "rank 0's byte counters equal the workers', kind by kind");
  const auto& c = transport.counters();
  std::printf("rank 0 sent %lld bytes in %lld messages (%lld in genotypes), received %lld in %lld\n",
              static_cast<long long>(c.total_sent().bytes), static_cast<long long>(c.total_sent().messages),
              static_cast<long long>(c.sent(MessageKind::kGenotype).bytes),
              static_cast<long long>(c.total_received().bytes), static_cast<long long>(c.total_received().messages));
  check(c.sent(MessageKind::kGenotype).bytes > 2 * 2 * 4000, "both genotypes went to both workers");
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace seedline::distributed

int main() {
  seedline::distributed::MpiSession session;
  try {
    return seedline::distributed::run();
  } catch (const std::exception& e) {
    // Ends every rank: one that returned would leave the others waiting for it.
    std::fprintf(stderr, "mpi_transport_check (rank %d): %s\n", session.rank(), e.what());
    seedline::distributed::MpiSession::abort(1);
  }
}
