// External evaluator overhead, printed beside its targets and two baselines measured in the
// same run, for a 10,000- and a 1,000,000-parameter network:
//   - seedline's evaluator pool: one worker running bench/external_null_evaluator.py (it
//     answers without reading the weights), items alternating between two individuals so
//     every item rewrites the shared weights: round trips per second, microseconds per item
//     (all of it overhead: target <= 50 us at 10k), and weights delivered per second
//     (target >= 2 GB/s at 1M);
//   - (a) the built-in sphere task scoring the same weights in-process (what an item costs
//     with no process boundary at all);
//   - (b) Python baselines with the same float32 payload (bench/external_pipe_baseline.py), each
//     warmed up: the fair ones first, as a skilled user writes them, (b1) shared_memory with the
//     weights copied in per item and a 12-byte Pipe message (seedline's own scheme, in Python) and
//     (b2) Pipe.send_bytes into recv_bytes_into a preallocated buffer; then (b3) the pickling
//     Pipe round trip of gymnasium's vector envs and EvoTorch (conn.send((array, seed))).
// Usage: external_bench [ITEMS_10K (default 20000)] [ITEMS_1M (default 1000)] [PYTHON (default /usr/bin/python3)]
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "evaluator/pool.hpp"
#include "tasks/function_tasks.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

std::string source_path(const std::string& relative) { return std::string(SEEDLINE_SOURCE_DIR) + "/" + relative; }

struct Figures {
  double seconds_per_item = 0;
  double items_per_second = 0;
};

// seedline's pool with one worker: `items` items alternating between two individuals.
Figures external(const std::string& python, size_t n, int items, bool touch) {
  evaluator::PoolOptions o;
  o.command = {python, source_path("bench/external_null_evaluator.py")};
  if (touch) o.command.push_back("touch");
  o.workers = 1;
  o.weights_bytes = n * sizeof(float);
  o.hello = evaluator::make_hello({{"layers.0.weight", {static_cast<int64_t>(n)}}},
                                  nlohmann::json::array({{{"type", "bias"}, {"in", n}}}), {{"type", "external"}});
  evaluator::EvaluatorPool pool(o);
  pool.start({});
  std::vector<std::vector<float>> members = {std::vector<float>(n, 0.5f), std::vector<float>(n, -0.5f)};
  const auto weights = [&](int m) { return std::span<const float>(members[static_cast<size_t>(m)]); };
  const auto describe = [](size_t i) { return "item " + std::to_string(i); };
  // One item per batch, so every item pays the full round trip (as when workers == members).
  const auto run = [&](int count) {
    for (int i = 0; i < count; ++i) {
      const evaluator::Item item{i % 2, 0, static_cast<uint64_t>(i)};
      pool.evaluate(std::span<const evaluator::Item>(&item, 1), weights, describe, {});
    }
  };
  run(std::min(items, 50));  // warm-up: page faults of the region, Python's caches
  const auto t0 = Clock::now();
  run(items);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return {s / items, items / s};
}

// (a) the built-in sphere on the same weights, in-process.
Figures builtin(size_t n, int items) {
  tasks::SphereTask sphere;
  std::vector<std::vector<float>> members = {std::vector<float>(n, 0.5f), std::vector<float>(n, -0.5f)};
  volatile double sink = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < items; ++i) sink = sink + sphere.score(members[static_cast<size_t>(i % 2)]);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return {s / items, items / s};
}

// (b) a Python baseline with the same payload; mode: shm, bytes or pickle.
Figures pipe_baseline(const std::string& python, size_t n, int items, const std::string& mode) {
  const std::string command = python + " " + source_path("bench/external_pipe_baseline.py") + " " + std::to_string(n) +
                              " " + std::to_string(items) + " " + mode;
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(command.c_str(), "r"), ::pclose);
  Figures f;
  if (!p || std::fscanf(p.get(), "%lf %lf", &f.items_per_second, &f.seconds_per_item) != 2) {
    std::fprintf(stderr, "external_bench: the Pipe baseline failed: %s\n", command.c_str());
  }
  return f;
}

void report(const std::string& python, size_t n, int items) {
  const double mb = static_cast<double>(n) * 4 / 1e6;
  const Figures ext = external(python, n, items, false);
  const Figures touched = external(python, n, std::max(10, items / 4), true);
  const Figures in_process = builtin(n, items);
  const Figures shm = pipe_baseline(python, n, items, "shm");
  const Figures bytes = pipe_baseline(python, n, items, "bytes");
  const Figures pipe = pipe_baseline(python, n, items, "pickle");
  const double gbps = static_cast<double>(n) * 4 / ext.seconds_per_item / 1e9;
  std::printf("\n%zu parameters (%.2f MB of float32 weights per item), %d items, 1 worker:\n", n, mb, items);
  std::printf("  %-58s %10.0f items/s  %9.1f us/item  %6.2f GB/s\n", "seedline external (null evaluator, weights rewritten)",
              ext.items_per_second, ext.seconds_per_item * 1e6, gbps);
  std::printf("  %-58s %10.0f items/s  %9.1f us/item  %6.2f GB/s\n", "seedline external (evaluator sums every weight)",
              touched.items_per_second, touched.seconds_per_item * 1e6,
              static_cast<double>(n) * 4 / touched.seconds_per_item / 1e9);
  std::printf("  %-58s %10.0f items/s  %9.1f us/item\n", "(a) built-in sphere, in-process", in_process.items_per_second,
              in_process.seconds_per_item * 1e6);
  const auto python_row = [&](const char* label, const Figures& f) {
    const double rate = f.seconds_per_item > 0 ? static_cast<double>(n) * 4 / f.seconds_per_item / 1e9 : 0.0;
    std::printf("  %-58s %10.0f items/s  %9.1f us/item  %6.2f GB/s\n", label, f.items_per_second,
                f.seconds_per_item * 1e6, rate);
  };
  python_row("(b1) Python shared_memory + 12-byte Pipe message (fair)", shm);
  python_row("(b2) Python Pipe send_bytes/recv_bytes_into (fair)", bytes);
  python_row("(b3) Python Pipe pickling the array (gymnasium, EvoTorch)", pipe);
  // The null evaluator does no work, so its whole round trip is overhead. The fair anchor is the
  // faster of (b1) and (b2).
  const auto faster = [](const Figures& a, const Figures& b) {
    if (a.seconds_per_item <= 0) return b;
    return b.seconds_per_item > 0 && b.seconds_per_item < a.seconds_per_item ? b : a;
  };
  const Figures fair = faster(shm, bytes);
  std::printf("  overhead per item: %.1f us (%.1fx the in-process score); the fair Python baseline takes %.2fx as long "
              "per item, the pickling Pipe %.1fx\n",
              ext.seconds_per_item * 1e6, ext.seconds_per_item / in_process.seconds_per_item,
              fair.seconds_per_item > 0 ? fair.seconds_per_item / ext.seconds_per_item : 0.0,
              pipe.seconds_per_item > 0 ? pipe.seconds_per_item / ext.seconds_per_item : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  const int items_10k = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int items_1m = argc > 2 ? std::atoi(argv[2]) : 1000;
  const std::string python = argc > 3 ? argv[3] : "/usr/bin/python3";
  std::printf("external evaluator round trips (targets: <= 50 us overhead per item at 10,000 parameters; "
              ">= 2 GB/s of weights at 1,000,000)\n");
  report(python, 10000, items_10k);
  report(python, 1000000, items_1m);
  return 0;
}
