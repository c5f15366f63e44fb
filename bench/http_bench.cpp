// Latency of the dashboard's heavy endpoints, /compare and /curves (target: p99 <= 50 ms).
//
// Builds the synthetic experiment of a typical paper figure: 3 conditions x 10 trials x 300
// generations, population 512, written the way the runner writes it (each generation's
// summary row with its parents blob, in one transaction per generation). Curves and compare
// read only the summary rows; the individuals table is filled with the elite chain by
// default (one row per generation) or with every individual (--full-population, 4.6 M rows,
// ~10 s to write) to check that its size does not matter. Then starts the server in-process
// on 127.0.0.1 (2 worker threads) and times N sequential requests per endpoint over one
// kept-alive connection, printing p50/p99/max.
//
// Usage: http_bench [--requests N] [--full-population] [--db PATH] [--make-db PATH]
//   --db PATH        reuse (or create) the database at PATH instead of a temporary one
//   --make-db PATH   only create the database at PATH and exit (bench/http_wrk.sh uses it)
#include <algorithm>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr int kConditions = 3, kTrials = 10, kGenerations = 300, kPopulation = 512, kTruncation = 16;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Writes the experiment; returns its id.
int64_t build(const std::filesystem::path& path, bool full_population) {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  std::mt19937_64 rng(20261125);
  std::normal_distribution<double> noise(0.0, 1.0);
  const char* names[kConditions] = {"factorized", "direct", "small"};
  const int64_t e = store::insert_experiment(db, "http-bench", R"({"name":"http-bench"})");
  for (int c = 0; c < kConditions; ++c) {
    const std::string config = R"({"ga":{"generations":)" + std::to_string(kGenerations) + R"(,"population":)" +
                               std::to_string(kPopulation) + "}}";
    const int64_t cond = store::insert_condition(db, e, c, names[c], config);
    for (int t = 0; t < kTrials; ++t) {
      const int64_t run = store::insert_run(db, e, cond, t, rng(), 1);
      db.prepare("UPDATE runs SET state = 'finished' WHERE id = ?").bind(1, run).run();
      std::optional<int64_t> elite;
      double best = 10 * noise(rng);
      for (int g = 0; g < kGenerations; ++g) {
        store::Transaction tx(db);
        const int born = full_population ? (g == 0 ? kPopulation : kPopulation - 1) : 1;
        std::vector<store::NewIndividual> rows(static_cast<size_t>(born));
        best += std::abs(noise(rng)) * (1.0 + 0.3 * c);
        for (int k = 0; k < born; ++k) {
          rows[k].parent = g == 0 ? std::nullopt : elite;
          rows[k].seed = rng();
          rows[k].generation = g;
          rows[k].fitness = best - std::abs(noise(rng)) * (k == 0 ? 0.0 : 5.0);
        }
        const auto [first, last] = store::insert_individuals(db, run, rows);
        elite = first;
        store::GenerationRow row;
        row.run_id = run;
        row.generation = g;
        row.first_individual = first;
        row.last_individual = last;
        row.best = best;
        row.mean = best - 5 - std::abs(noise(rng));
        row.median = row.mean + 0.5 * noise(rng);
        row.std = 2 + std::abs(noise(rng));
        row.best_individual = first;
        row.parents.assign(kTruncation, first);
        row.evaluations = kPopulation;
        row.steps = 200 * kPopulation;
        row.eval_seconds = 1.0;
        row.total_seconds = 1.01;
        store::insert_generation(db, row);
        tx.commit();
      }
    }
  }
  return e;
}

struct Latency {
  double p50, p99, max;
};

Latency time_requests(uint16_t port, const std::string& target, int n, size_t* bytes) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    const auto t0 = Clock::now();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    ms.push_back(ms_since(t0));
    if (res.result() != bhttp::status::ok) {
      std::fprintf(stderr, "%s: HTTP %u: %s\n", target.c_str(), res.result_int(), res.body().c_str());
      std::exit(1);
    }
    *bytes = res.body().size();
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(std::ceil(q * ms.size())) - 1)]; };
  return {at(0.50), at(0.99), ms.back()};
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 300;
  bool full = false;
  std::filesystem::path db_path, make_only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--requests" && i + 1 < argc) requests = std::atoi(argv[++i]);
    else if (a == "--full-population") full = true;
    else if (a == "--db" && i + 1 < argc) db_path = argv[++i];
    else if (a == "--make-db" && i + 1 < argc) make_only = argv[++i];
    else {
      std::fprintf(stderr, "usage: http_bench [--requests N] [--full-population] [--db PATH] [--make-db PATH]\n");
      return 2;
    }
  }
  if (requests < 1) requests = 1;
  try {
    if (!make_only.empty()) {
      const auto t0 = Clock::now();
      build(make_only, full);
      std::printf("wrote %s in %.1f s\n", make_only.c_str(), ms_since(t0) / 1000);
      return 0;
    }
    std::filesystem::path temp;
    if (db_path.empty()) {
      temp = std::filesystem::temp_directory_path() / ("seedline-http-bench-" + std::to_string(::getpid()));
      std::filesystem::create_directories(temp);
      db_path = temp / "bench.db";
    }
    int64_t experiment = 1;
    if (!std::filesystem::exists(db_path)) {
      const auto t0 = Clock::now();
      experiment = build(db_path, full);
      std::printf("synthetic experiment: %d conditions x %d trials x %d generations, population %d, %s individuals "
                  "rows; written in %.1f s, %.1f MiB\n",
                  kConditions, kTrials, kGenerations, kPopulation, full ? "all" : "elite-chain",
                  ms_since(t0) / 1000, std::filesystem::file_size(db_path) / 1048576.0);
    }
    http::ServerOptions options;
    options.db_path = db_path;
    options.port = 0;
    options.threads = 2;
    http::Server server(options);
    std::thread serving([&] { server.run(); });
    const std::string exp = "/api/experiments/" + std::to_string(experiment);
    const std::pair<const char*, std::string> endpoints[] = {
        {"compare (default generation)", exp + "/compare"},
        {"compare at generation 150, exact", exp + "/compare?generation=150&method=exact"},
        {"curves best, max_points=200", exp + "/curves"},
        {"curves mean, all 300 points", exp + "/curves?metric=mean&max_points=300"},
        {"experiment detail (30 runs)", exp},
        {"run generations (300 rows)", "/api/runs/1/generations"},
    };
    std::printf("\n%-36s %9s %9s %9s %9s   (%d sequential requests each, one connection)\n", "endpoint", "p50 ms",
                "p99 ms", "max ms", "bytes", requests);
    bool within = true;
    for (const auto& [name, target] : endpoints) {
      size_t bytes = 0;
      time_requests(server.port(), target, 5, &bytes);  // warm-up: page cache, statement paths
      const auto l = time_requests(server.port(), target, requests, &bytes);
      std::printf("%-36s %9.2f %9.2f %9.2f %9zu\n", name, l.p50, l.p99, l.max, bytes);
      if (std::string(name).rfind("compare", 0) == 0 || std::string(name).rfind("curves", 0) == 0) {
        within = within && l.p99 <= 50.0;
      }
    }
    std::printf("\ntarget p99 <= 50 ms for /compare and /curves: %s\n", within ? "met" : "NOT met");
    server.stop();
    serving.join();
    if (!temp.empty()) std::filesystem::remove_all(temp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
