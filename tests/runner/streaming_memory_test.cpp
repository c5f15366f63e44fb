// Streaming generations: a run's memory depends on its parents and threads, not on its
// population. The run goes in a child `seedline run` process whose peak resident set size
// comes from wait4's rusage, so nothing else of the test process is counted.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "store/run_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::TempDir;

struct Finished {
  int status = 0;
  long max_rss_kib = 0;
};

// Runs the seedline binary with `args` (output to files in `dir`) and returns its exit
// status and peak RSS.
Finished run_measured(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open((dir / "out.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open((dir / "err.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<std::string> argv{seedline::testing::seedline_bin().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  Finished f;
  struct rusage usage {};
  if (::wait4(pid, &f.status, 0, &usage) != pid) ADD_FAILURE() << "wait4 failed";
  f.max_rss_kib = usage.ru_maxrss;
  return f;
}

// The issue's setting: a 4,000,000-parameter network (one dense 2000 x 2000 tensor and its
// bias), population 1,000, truncation 20, two generations. Materialized, one generation
// was 1,000 x 16 MB = 16 GB; streamed it is 2 x 20 parents + 2 threads' scratch, ~0.7 GB.
TEST(StreamingMemory, AFourMillionParameterRunAtPopulation1000StaysUnder1Point5GiB) {
  TempDir dir;
  const auto file = dir / "deep.json";
  seedline::testing::write_file(file, R"({"name": "deep-memory", "seed": 5, "task": {"type": "sphere"},
    "network": [{"type": "dense", "in": 2000, "out": 2000}],
    "ga": {"population": 1000, "truncation": 20, "elites": 1, "generations": 2}})");
  const auto db = dir / "a.db";
  const auto f = run_measured({"--db", db.string(), "run", file.string(), "--threads", "2"}, dir.path());
  ASSERT_TRUE(WIFEXITED(f.status)) << seedline::testing::read_file(dir / "err.txt");
  ASSERT_EQ(WEXITSTATUS(f.status), 0) << seedline::testing::read_file(dir / "err.txt");
  const double gib = static_cast<double>(f.max_rss_kib) / (1024.0 * 1024.0);
  std::printf("peak RSS of the run: %.2f GiB\n", gib);
  EXPECT_LT(gib, 1.5);

  // And it really ran the population: 1,000 roots, then 999 children.
  auto store_db = store::open_database(db, store::OpenPurpose::kRead);
  const auto gens = store::list_generations(store_db, 1);
  ASSERT_EQ(gens.size(), 2u);
  EXPECT_EQ(gens[0].evaluations, 1000);
  EXPECT_EQ(gens[1].evaluations, 1000);
  EXPECT_EQ(store::individuals_of_run(store_db, 1).size(), 1999u);
  EXPECT_GE(gens[1].best, gens[0].best);  // the elite is carried and rescored exactly
}

}  // namespace
}  // namespace seedline::runner
