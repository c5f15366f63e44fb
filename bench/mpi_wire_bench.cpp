// Distributed-job figures over real MPI; run it under mpirun (bench/mpi_scaling.sh does):
//   mpirun --oversubscribe -n 4 build-bench/bench/mpi_wire_bench [POPULATION] [GENERATIONS] [ITEMS]
//   1. bytes on the wire per evaluated individual (target <= 64), measured by the program's
//      own counters while rank 0 deals GENERATIONS real GA generations (evolve::plan_generation
//      of a population of POPULATION, truncation 20, one episode each) and sends each
//      selection; beside it, computed for a 4M-parameter network, the Deep GA's design (each
//      individual's full seed list goes to a worker, which rebuilds it) and OpenAI-ES's as
//      this issue states it (the master broadcasts theta to every worker every generation),
//      and the one-off genotype transfer when a run resumes on a job;
//   2. the dealer's scheduling overhead per work item: ITEMS items that take no time, dealt
//      to the workers (one thread each) and returned, against the same items through a
//      one-thread ThreadPool in this process (the single-process baseline).
// Evaluation on the workers is a constant: the point is what the wire and the dealing cost.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "distributed/dealer.hpp"
#include "distributed/mpi_transport.hpp"
#include "distributed/worker.hpp"
#include "evolve/ga.hpp"
#include "runner/thread_pool.hpp"

namespace {

using namespace seedline;
using namespace seedline::distributed;
using Clock = std::chrono::steady_clock;

// A worker that answers every item at once with a fixed reward and a CartPole-like step count.
class Instant : public WorkerHandler {
 public:
  int threads() const override { return 1; }
  void start_run(const RunStart&) override {}
  void add_genotype(Genotype) override {}
  void select(const Selection&) override {}
  void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) override {
    for (size_t i = 0; i < items.size(); ++i) results[i] = {0, 123.456 + static_cast<double>(i), 500, {}};
  }
  void end_run(int64_t) override {}
};

double seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr double kParams = 4e6;  // the 4M-parameter network of the comparison
constexpr int kTruncation = 20;

void bytes_per_individual(Dealer& dealer, int population, int generations) {
  auto& t = dealer.transport();
  const int workers = t.size() - 1;
  evolve::GaSettings ga;
  ga.population = population;
  ga.truncation = kTruncation;
  ga.elites = 1;
  ga.stages = {{1, kTruncation}};
  dealer.start_run(RunStart{1, 1, 0, "{}"}, {});
  const WireCounters before = t.counters();
  int64_t evaluated = 0;
  int parents = 0;
  for (int g = 0; g < generations; ++g) {
    const auto slots = evolve::plan_generation(77, g, ga, parents);
    std::vector<WorkItem> items;
    for (int m = 0; m < population; ++m) {
      const auto& s = slots[static_cast<size_t>(m)];
      items.push_back({0, static_cast<uint32_t>(m), {static_cast<Source::Kind>(s.kind), s.parent, s.seed}, 0, 0,
                       evolve::episode_seed(77, g, 0, 0)});
    }
    dealer.evaluate(items, nullptr);
    evaluated += population;
    Selection selection{1, {}, 0x5eed};
    for (int k = 0; k < kTruncation; ++k) {
      selection.parents.push_back(items[static_cast<size_t>(k * 7 % population)].source);
    }
    dealer.select(selection);
    parents = kTruncation;
  }
  dealer.end_run(1);
  const auto d = t.counters().minus(before);
  const double total = static_cast<double>(d.total_sent().bytes + d.total_received().bytes);
  const double messages = static_cast<double>(d.total_sent().messages + d.total_received().messages);
  const double ours = total / static_cast<double>(evaluated);
  std::printf("population %d, truncation %d, one episode each, %d generations, %d worker ranks:\n", population,
              kTruncation, generations, workers);
  std::printf("  seedline, measured:        %8.1f B per evaluated individual (target <= 64), %.2f messages each\n",
              ours, messages / static_cast<double>(evaluated));
  std::printf("    of which work %.1f, results %.1f, selection %.1f\n",
              static_cast<double>(d.sent(MessageKind::kWork).bytes) / static_cast<double>(evaluated),
              static_cast<double>(d.received(MessageKind::kResults).bytes) / static_cast<double>(evaluated),
              static_cast<double>(d.sent(MessageKind::kSelection).bytes) / static_cast<double>(evaluated));
  // Deep GA: an individual of generation g is its g + 1 seeds (8 bytes each), sent to a
  // worker that replays them; its fitness comes back (8 bytes).
  for (int g : {100, 1000}) {
    const double deep = 8.0 * (g + 1) + 8;
    std::printf("  Deep GA seed lists, gen %4d: %8.0f B per individual   (%.0fx seedline)\n", g, deep, deep / ours);
  }
  // OpenAI-ES as stated: theta (4 bytes a parameter) to every worker every generation.
  for (const auto& [w, p] : {std::pair<int, int>{workers, population}, std::pair<int, int>{64, 1000}}) {
    const double es = 4.0 * kParams * w / p;
    std::printf("  theta broadcast, %2d workers, population %4d: %10.0f B per individual   (%.0fx seedline)\n", w, p,
                es, es / ours);
  }
  const double genotype = static_cast<double>(encode(Genotype{1, 0, 0, std::vector<float>(4000000)}).size());
  std::printf("  one-off, a run resuming on the job: %d parents x %.0f B = %.0f MB to each worker, once\n", kTruncation,
              genotype, kTruncation * genotype / 1e6);
}

void scheduling_overhead(Dealer& dealer, size_t n) {
  std::vector<WorkItem> items(n);
  for (size_t i = 0; i < n; ++i) items[i] = {0, static_cast<uint32_t>(i), {Source::Kind::kRoot, -1, i}, 0, 0, 9};
  dealer.start_run(RunStart{2, 1, 0, "{}"}, {});
  dealer.evaluate(std::span(items).first(std::min<size_t>(n, 1000)), nullptr);  // warm-up
  const auto t0 = Clock::now();
  const auto results = dealer.evaluate(items, nullptr);
  const double mpi = seconds(t0) / static_cast<double>(n);
  dealer.end_run(2);
  runner::ThreadPool pool(1);
  std::vector<double> local(n);
  const auto t1 = Clock::now();
  pool.parallel_for(n, [&](size_t i, int) { local[i] = results[i].reward; });
  const double baseline = seconds(t1) / static_cast<double>(n);
  std::printf("%zu instant items over %d worker ranks: %.2f us per item dealt and returned; one-thread pool in "
              "process: %.3f us per item (%.0fx)\n",
              n, dealer.transport().size() - 1, mpi * 1e6, baseline * 1e6, mpi / baseline);
}

}  // namespace

int main(int argc, char** argv) {
  MpiSession session;
  const int population = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int generations = argc > 2 ? std::atoi(argv[2]) : 20;
  const size_t items = argc > 3 ? static_cast<size_t>(std::atoll(argv[3])) : 200000;
  try {
    MpiTransport transport;
    if (transport.rank() != 0) {
      Instant handler;
      serve_worker(transport, handler);
      return 0;
    }
    if (transport.size() < 2) {
      std::fprintf(stderr, "mpi_wire_bench: run it under mpirun with at least 2 ranks\n");
      Dealer(transport).shutdown();
      return 2;
    }
    Dealer dealer(transport);
    bytes_per_individual(dealer, population, generations);
    scheduling_overhead(dealer, items);
    dealer.shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_wire_bench (rank %d): %s\n", session.rank(), e.what());
    MpiSession::abort(1);
  }
  return 0;
}
