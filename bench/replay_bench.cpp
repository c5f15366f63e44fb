// Replay throughput of the genotype path, in parameter*steps per second on one thread.
//
// A replay step is what rebuilding a lineage does once per generation: genotype += std * eps
// over every parameter. Three ways of doing the same work are timed:
//   seedline  Genome::mutate on a direct P-parameter genotype (noise v1 computed on the fly)
//   table     the same update reading eps from a precomputed noise table at a seed-derived
//             offset (the "shared noise table" trick of Such et al.), the speed of light
//   fill      noise::fill_v1 alone, to show the cost of the noise itself
//   fill-sse2, fill-avx2, fill-avx512   the same through each block path this CPU can run
//             (same bits; shows what a CPU without AVX-512 would pay)
// bench/replay_numpy.py does the numpy version; bench/replay_compare.sh prints all of them
// side by side. Usage: replay_bench [PARAMS] [STEPS]   (defaults 1000000 and 30)
// Prints one line per method: "<method> <param*steps per second> <ns per parameter*step>".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "genome/genome.hpp"
#include "noise/block_paths.hpp"
#include "noise/noise.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Best of `reps` timings of `body`, in seconds.
template <typename Body>
double best_seconds(int reps, Body&& body) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

void report(const char* method, double work, double seconds, float checksum_guard) {
  std::printf("%-9s %.4e %.3f  # guard %g\n", method, work / seconds, seconds * 1e9 / work, checksum_guard);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t params = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 30;
  if (params < 1 || steps < 1) {
    std::fprintf(stderr, "usage: replay_bench [PARAMS >= 1] [STEPS >= 1]\n");
    return 2;
  }
  const double work = static_cast<double>(params) * steps;
  const int reps = 5;

  // One bias-free dense layer of exactly `params` weights.
  const nlohmann::json net = {{{"type", "dense"}, {"in", params}, {"out", 1}, {"bias", false}}};
  const genome::Genome g(genome::parse_architecture(net, std::nullopt), {}, {0.01, 0.0}, 1);
  std::vector<float> x = g.init(1);
  const double t_seedline = best_seconds(reps, [&] {
    for (int s = 0; s < steps; ++s) g.mutate(x, splitmix(static_cast<uint64_t>(s)));
  });
  report("seedline", work, t_seedline, x[0]);

  // A 2^26-value table (256 MiB would be the paper's; 64 Mi values keeps it larger than any
  // cache) filled once with noise v1; each step reads P values at a seed-derived offset.
  const size_t table_size = std::max<size_t>(size_t{1} << 26, static_cast<size_t>(params) * 2);
  std::vector<float> table(table_size);
  noise::fill_v1(7, 0, 0, table);
  const float scale = g.blocks()[0].mutation_std;
  std::vector<float> y = g.init(1);
  const double t_table = best_seconds(reps, [&] {
    for (int s = 0; s < steps; ++s) {
      const size_t offset = splitmix(static_cast<uint64_t>(s)) % (table_size - static_cast<size_t>(params));
      const float* eps = table.data() + offset;
      float* p = y.data();
      for (int64_t i = 0; i < params; ++i) {
        const float step = scale * eps[i];
        p[i] = p[i] + step;
      }
    }
  });
  report("table", work, t_table, y[0]);

  std::vector<float> z(static_cast<size_t>(params));
  const double t_fill = best_seconds(reps, [&] {
    for (int s = 0; s < steps; ++s) noise::fill_v1(splitmix(static_cast<uint64_t>(s)), 0, 0, z);
  });
  report("fill", work, t_fill, z[0]);

  const std::pair<noise::BlockPath, const char*> paths[] = {
      {noise::BlockPath::kSse2, "fill-sse2"}, {noise::BlockPath::kAvx2, "fill-avx2"},
      {noise::BlockPath::kAvx512, "fill-avx512"}};
  for (const auto& [path, name] : paths) {
    if (!noise::block_path_supported(path)) continue;
    const double t = best_seconds(reps, [&] {
      for (int s = 0; s < steps; ++s) noise::fill_v1_with(path, splitmix(static_cast<uint64_t>(s)), 0, 0, z);
    });
    report(name, work, t, z[0]);
  }
  return 0;
}
