// ES generation cost on one dense layer, side by side in one run (docs/es.md):
//   plain     the population's batched forward with the unperturbed weight (the baseline:
//             what evaluation costs with no ES at all);
//   full      full-rank OpenAI-ES: per member, form center + sigma*eps (noise v1 over the whole
//             matrix) and run its batch through it; then the update regenerates every
//             member's noise (es::update_center, SGD);
//   eggroll r EGGROLL: per antithetic pair the factors A (m x r), B (n x r); the forward
//             X.W^T + scale (X.B).A^T without forming any perturbed matrix
//             (nn::lowrank_forward); the update sum_i w_i A_i B_i^T (es::update_center).
// Each row times perturb, forward and update of one generation (population P, a batch of
// Bt inputs per member; fitness = the mean of the member's outputs, so the update has real
// numbers to shape). Targets: EGGROLL r=1 >= 10x faster than full-rank at
// 4096x4096 and >= 90% of the plain forward's throughput; the plain forward on the kernels
// (src/kernels/, docs/kernels.md) >= 3x the Eigen product it replaced ("plain, Eigen").
// Usage: es_bench [--sizes 1024,4096] [--population 256] [--batch 64] [--threads N]
//                 [--ranks 1,4] [--repeat R (default: 3 below 2048, else 1)]
// Each variant runs R rounds, interleaved with the others; the fastest round is kept. Wall
// and CPU seconds are printed: on a shared machine the CPU column is the steadier one.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Eigen/Core>

#include "es/members.hpp"
#include "es/perturbation.hpp"
#include "es/update.hpp"
#include "evolve/algorithm.hpp"
#include "genome/genome.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/kernels.hpp"
#include "nn/lowrank_dense.hpp"
#include "noise/noise.hpp"
#include "runner/thread_pool.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU seconds (user + system) of the whole process: on a shared machine the wall time
// swings with the neighbours' load, the CPU time a variant consumes much less.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

struct Options {
  std::vector<int> sizes{1024, 4096};
  std::vector<int> ranks{1, 4};
  int population = 256, batch = 64, repeat = 0;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

struct Timing {
  double perturb = 0, forward = 0, update = 0;
  double cpu = 0;  // CPU seconds of the whole generation, all threads
  double total() const { return perturb + forward + update; }
};

struct Setup {
  int d;
  const Options& o;
  genome::Genome genome;
  std::vector<float> center, x, y;
  std::vector<es::Member> members;
  runner::ThreadPool& pool;

  es::ParallelFor parallel() {
    return [this](size_t n, const std::function<void(size_t, int)>& fn) { pool.parallel_for(n, fn); };
  }
  // Splits the population into one contiguous, even-sized member range per thread.
  void over_members(const std::function<void(int64_t first, int64_t count)>& fn) {
    const int64_t pairs = o.population / 2, workers = pool.size();
    pool.parallel_for(static_cast<size_t>(workers), [&](size_t w, int) {
      const int64_t p0 = pairs * static_cast<int64_t>(w) / workers, p1 = pairs * static_cast<int64_t>(w + 1) / workers;
      if (p1 > p0) fn(2 * p0, 2 * (p1 - p0));
    });
  }
  std::vector<double> fitness() const {
    std::vector<double> f(static_cast<size_t>(o.population));
    const size_t per = static_cast<size_t>(o.batch) * static_cast<size_t>(d);
    for (size_t m = 0; m < f.size(); ++m) {
      double s = 0;
      for (size_t i = 0; i < per; ++i) s += y[m * per + i];
      f[m] = s / static_cast<double>(per);
    }
    return f;
  }
  nn::DenseShape shape(int64_t count) const { return {count, o.batch, d, d}; }
};

genome::Genome layer_genome(int d) {
  const nlohmann::json net = nlohmann::json::array({{{"type", "dense"}, {"in", d}, {"out", d}, {"bias", false}}});
  return genome::Genome(genome::parse_architecture(net, std::nullopt), genome::parse_representation({{"type", "direct"}}),
                        genome::MutationSettings{}, noise::kNewestVersion);
}

evolve::EsSettings settings(int rank) {
  nlohmann::json j = {{"type", "es"}, {"sigma", 0.02}, {"learning_rate", 0.01}};
  if (rank > 0) j["perturbation"] = {{"type", "lowrank"}, {"rank", rank}};
  return evolve::parse_algorithm(j, "algorithm").es;
}

Timing plain(Setup& s) {
  Timing t;
  const auto t0 = Clock::now();
  const size_t in_per = static_cast<size_t>(s.o.batch) * s.d, out_per = in_per;
  s.over_members([&](int64_t first, int64_t count) {
    nn::dense_forward(s.shape(count), std::span<const float>(s.x).subspan(first * in_per, count * in_per), s.center, {},
                      std::span<float>(s.y).subspan(first * out_per, count * out_per));
  });
  t.forward = since(t0);
  return t;
}

// The plain forward as it was before the kernels (Eigen's product, compiled for baseline
// x86-64): the "today" the kernels' forward is compared with.
Timing plain_eigen(Setup& s) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Timing t;
  const auto t0 = Clock::now();
  const int64_t in_per = static_cast<int64_t>(s.o.batch) * s.d;
  s.over_members([&](int64_t first, int64_t count) {
    const Eigen::Map<const RowMajor> x(s.x.data() + first * in_per, count * s.o.batch, s.d);
    const Eigen::Map<const RowMajor> w(s.center.data(), s.d, s.d);
    Eigen::Map<RowMajor> y(s.y.data() + first * in_per, count * s.o.batch, s.d);
    y.noalias() = x * w.transpose();
  });
  t.forward = since(t0);
  return t;
}

Timing full(Setup& s) {
  Timing t;
  const auto es = settings(0);
  const es::Perturbation p(s.genome, es);
  const size_t in_per = static_cast<size_t>(s.o.batch) * s.d;
  // Per thread one perturbed matrix; forming it is the perturbation, its batch the forward.
  std::vector<std::vector<float>> buffers(static_cast<size_t>(s.pool.size()), std::vector<float>(s.center.size()));
  std::vector<double> perturb_seconds(buffers.size(), 0), forward_seconds(buffers.size(), 0);
  const auto t0 = Clock::now();
  s.pool.parallel_for(static_cast<size_t>(s.o.population), [&](size_t m, int w) {
    auto& buf = buffers[static_cast<size_t>(w)];
    const auto a = Clock::now();
    p.perturb(s.center, s.members[m].seed, s.members[m].sign, buf);
    const auto b = Clock::now();
    nn::dense_forward(s.shape(1), std::span<const float>(s.x).subspan(m * in_per, in_per), buf, {},
                      std::span<float>(s.y).subspan(m * in_per, in_per));
    perturb_seconds[static_cast<size_t>(w)] += std::chrono::duration<double>(b - a).count();
    forward_seconds[static_cast<size_t>(w)] += since(b);
  });
  const double wall = since(t0);
  double ps = 0, fs = 0;
  for (size_t w = 0; w < buffers.size(); ++w) ps += perturb_seconds[w], fs += forward_seconds[w];
  t.perturb = wall * ps / (ps + fs);  // the wall time, split in the ratio the threads saw
  t.forward = wall - t.perturb;
  auto center = s.center;
  auto state = es::initial_state(es, center.size());
  const auto t1 = Clock::now();
  es::update_center(es, p, s.members, s.fitness(), center, state, s.parallel());
  t.update = since(t1);
  return t;
}

Timing eggroll(Setup& s, int rank) {
  Timing t;
  const auto es = settings(rank);
  const es::Perturbation p(s.genome, es);
  const auto& blk = p.blocks()[0];
  const int64_t pairs = s.o.population / 2, na = blk.rows * rank, nb = blk.cols * rank;
  std::vector<float> a(static_cast<size_t>(pairs * na)), b(static_cast<size_t>(pairs * nb));
  std::vector<float> scale;
  const auto t0 = Clock::now();
  s.pool.parallel_for(static_cast<size_t>(pairs), [&](size_t pair, int) {
    std::vector<float> f(blk.factor_size());
    p.factors(blk, s.members[2 * pair].seed, f);
    std::copy_n(f.begin(), na, a.begin() + static_cast<int64_t>(pair) * na);
    std::copy_n(f.begin() + na, nb, b.begin() + static_cast<int64_t>(pair) * nb);
  });
  for (const auto& m : s.members) scale.push_back(static_cast<float>(m.sign * es.sigma / std::sqrt(double(rank))));
  t.perturb = since(t0);
  const auto t1 = Clock::now();
  const size_t in_per = static_cast<size_t>(s.o.batch) * s.d;
  s.over_members([&](int64_t first, int64_t count) {
    const nn::LowRankFactors f{rank, true, std::span<const float>(a).subspan((first / 2) * na, (count / 2) * na),
                               std::span<const float>(b).subspan((first / 2) * nb, (count / 2) * nb),
                               std::span<const float>(scale).subspan(first, count)};
    nn::lowrank_forward(s.shape(count), std::span<const float>(s.x).subspan(first * in_per, count * in_per), s.center,
                        {}, f, std::span<float>(s.y).subspan(first * in_per, count * in_per));
  });
  t.forward = since(t1);
  auto center = s.center;
  auto state = es::initial_state(es, center.size());
  const auto t2 = Clock::now();
  es::update_center(es, p, s.members, s.fitness(), center, state, s.parallel());
  t.update = since(t2);
  return t;
}

Timing timed(const std::function<Timing()>& fn) {
  const double c0 = cpu_seconds();
  Timing t = fn();
  t.cpu = cpu_seconds() - c0;
  return t;
}

void row(const std::string& name, const Timing& t, const Timing& base) {
  std::printf("  %-14s %9.3f %9.3f %9.3f %9.3f %9.3f   %6.1f%% %6.1f%%\n", name.c_str(), t.perturb, t.forward, t.update,
              t.total(), t.cpu, 100.0 * base.total() / t.total(), 100.0 * base.cpu / t.cpu);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--sizes") o.sizes = parse_list(argv[i + 1]);
    else if (k == "--ranks") o.ranks = parse_list(argv[i + 1]);
    else if (k == "--population") o.population = std::atoi(argv[i + 1]);
    else if (k == "--batch") o.batch = std::atoi(argv[i + 1]);
    else if (k == "--threads") o.threads = std::atoi(argv[i + 1]);
    else if (k == "--repeat") o.repeat = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "es_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (o.population < 2 || o.population % 2 || o.batch < 1 || o.threads < 1) {
    std::fprintf(stderr, "es_bench: population must be even >= 2, batch and threads >= 1\n");
    return 2;
  }
  runner::ThreadPool pool(o.threads);
  // The FP32 peak of one core on the active kernel path (independent fma chains that fit the registers), best of 5.
  double peak = 0;
  for (int r = 0; r < 5; ++r) {
    float sink = 0;
    const auto t0 = Clock::now();
    const int64_t flops = kernels::table_for(kernels::active_path()).fma_peak(int64_t{1} << 24, &sink);
    peak = std::max(peak, static_cast<double>(flops) / since(t0) / 1e9);
    if (sink == 12345.f) std::puts("");
  }
  std::printf("ES generation on one dense layer: population %d (%d antithetic pairs), %d inputs per member, "
              "%d threads\n", o.population, o.population / 2, o.batch, o.threads);
  for (const int d : o.sizes) {
    Setup s{d, o, layer_genome(d), {}, {}, {}, es::plan_members(7, 0, o.population, true), pool};
    s.center = s.genome.init(1);
    s.x.resize(static_cast<size_t>(o.population) * o.batch * d);
    noise::fill_v1(99, 0, 0, s.x);
    s.y.resize(s.x.size());
    const int repeat = o.repeat > 0 ? o.repeat : (d < 2048 ? 3 : 1);
    std::printf("\n%dx%d weight, best of %d; seconds per generation\n", d, d, repeat);
    std::printf("  %-14s %9s %9s %9s %9s %9s   %s\n", "variant", "perturb", "forward", "update", "wall", "cpu",
                "throughput vs plain forward (wall, cpu)");
    // Rounds of every variant in turn, the best round of each kept, so a burst of load on the
    // machine does not fall on one variant only.
    std::vector<std::pair<std::string, std::function<Timing()>>> variants;
    variants.emplace_back("plain forward", [&] { return plain(s); });
    variants.emplace_back("full-rank ES", [&] { return full(s); });
    variants.emplace_back("plain, Eigen", [&] { return plain_eigen(s); });
    for (const int r : o.ranks) variants.emplace_back("EGGROLL r=" + std::to_string(r), [&s, r] { return eggroll(s, r); });
    std::vector<Timing> best(variants.size());
    for (int round = 0; round < repeat; ++round) {
      for (size_t v = 0; v < variants.size(); ++v) {
        const Timing t = timed(variants[v].second);
        if (round == 0 || t.total() < best[v].total()) best[v] = t;
      }
    }
    const Timing& base = best[0];
    const Timing& f = best[1];
    const Timing& eigen = best[2];
    const std::vector<Timing> egg(best.begin() + 3, best.end());
    for (size_t v = 0; v < variants.size(); ++v) row(variants[v].first, best[v], base);
    for (size_t i = 0; i < o.ranks.size(); ++i) {
      std::printf("  full-rank / EGGROLL r=%d: %.1fx faster (cpu %.1fx)%s; EGGROLL r=%d throughput %.0f%% of plain "
                  "forward (cpu %.0f%%)%s\n",
                  o.ranks[i], f.total() / egg[i].total(), f.cpu / egg[i].cpu,
                  o.ranks[i] == 1 && d >= 4096 ? " (target >= 10x)" : "", o.ranks[i],
                  100.0 * base.total() / egg[i].total(), 100.0 * base.cpu / egg[i].cpu,
                  o.ranks[i] == 1 ? " (target >= 90%)" : "");
    }
    const double gflop = 2.0 * o.population * o.batch * static_cast<double>(d) * d / 1e9;
    std::printf("  plain forward on the kernels (%s path) vs Eigen's (the forward before them): %.2fx (cpu %.2fx) "
                "(target >= 3x); %.1f GFLOP/s on %d threads = %.0f%% of the measured peak (%.1f GFLOP/s per core), "
                "Eigen %.1f GFLOP/s\n",
                kernels::path_name(kernels::active_path()), eigen.total() / base.total(), eigen.cpu / base.cpu,
                gflop / base.total(), o.threads, 100.0 * gflop / base.total() / (peak * o.threads), peak,
                gflop / eigen.total());
  }
  return 0;
}
