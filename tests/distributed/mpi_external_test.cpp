// `seedline run --mpi` with an external task under a real `mpirun --oversubscribe -n 3`: every
// rank starts its own evaluator pool (docs/distributed.md, "External tasks") and the job
// gives the histories and named metrics of one process, bit for bit, and leaves no evaluator
// behind. Regression (issue 20, item 1): every run of such a job failed with "task
// 'external' runs its episodes in the evaluator processes, not in seedline". Skipped only
// when mpirun is missing or the binary was built without MPI.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "distributed/mpi_testing.hpp"
#include "evaluator/evaluator_testing.hpp"
#include "runner/runner_testing.hpp"
#include "store/evaluator_repo.hpp"
#include "store/metric_repo.hpp"
#include "store/migrations.hpp"
#include "store/run_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::distributed {
namespace {

using seedline::testing::run_process;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;
namespace rt = seedline::runner::testing;
namespace et = seedline::evaluator::testing;

std::vector<store::GenerationMetric> all_metrics(const std::filesystem::path& path) {
  auto db = store::open_database(path, store::OpenPurpose::kRead);
  std::vector<store::GenerationMetric> out;
  for (const auto& run : store::list_runs(db)) {
    for (auto& m : store::list_generation_metrics(db, run.id)) out.push_back(std::move(m));
  }
  return out;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(MpiExternal, ThreeRanksEachWithTheirOwnEvaluatorsGiveTheHistoryAndMetricsOfOneProcess) {
  REQUIRE_MPI();
  TempDir dir;
  const std::string marker = (dir / "evaluators").string();
  nlohmann::json experiment = nlohmann::json::parse(R"({
    "name": "mpi-external", "seed": 5, "trials": 2,
    "network": [{"type": "dense", "out": 4, "activation": "tanh"}, {"type": "dense", "out": 2}],
    "ga": {"population": 10, "elites": 1, "generations": 4, "mutation_rate": 0.05, "snapshot_every": 2,
           "stages": [{"evaluations": 2, "keep": 4}, {"evaluations": 1, "keep": 2}]},
    "conditions": [{"name": "direct", "representation": {"type": "direct"}},
                   {"name": "factorized", "representation": {"type": "factorized", "rank": 1}}]})");
  experiment["task"] = {{"type", "external"}, {"workers", 2}, {"observation_shape", {3}}, {"actions", 2},
                        {"timeout", 30}, {"command", et::fault_command("ok", marker)}};
  const auto file = dir / "exp.json";
  write_file(file, experiment.dump());
  const auto plain = dir / "plain.db", spread = dir / "mpi.db";
  const auto r1 = run_seedline({"--db", plain.string(), "run", file.string(), "--threads", "2"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const auto r3 = run_process(testing::mpirun(3, {"--db", spread.string(), "run", "--mpi", file.string(), "--threads", "1"}),
                              "", {}, testing::kMpiEnv);
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  EXPECT_NE(r3.err.find("seedline mpi: 3 ranks"), std::string::npos) << r3.err;
  EXPECT_NE(r3.err.find("evaluator 'fault-evaluator' version '1.0'"), std::string::npos) << r3.err;

  const auto x = rt::read_histories(plain), y = rt::read_histories(spread);
  ASSERT_EQ(x.size(), 4u);
  ASSERT_EQ(y.size(), 4u);
  for (const auto& [run, h] : x) {
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(rt::first_difference(h, y.at(run)), "") << "run " << run;
  }
  const auto a = all_metrics(plain), b = all_metrics(spread);
  ASSERT_EQ(a.size(), 4u * 4u);  // one metric (norm2) per run and generation
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].run_id, b[i].run_id);
    EXPECT_EQ(a[i].generation, b[i].generation);
    EXPECT_EQ(a[i].name, b[i].name);
    ASSERT_EQ(a[i].member_values.size(), b[i].member_values.size());
    for (size_t k = 0; k < a[i].member_values.size(); ++k) {
      EXPECT_TRUE(same_bits(a[i].member_values[k], b[i].member_values[k])) << "row " << i << " member " << k;
    }
    EXPECT_TRUE(same_bits(*a[i].best, *b[i].best)) << "row " << i;
    EXPECT_TRUE(same_bits(*a[i].mean, *b[i].mean)) << "row " << i;
  }
  // rank 0 records its evaluators' identity, as one process does.
  auto db = store::open_database(spread, store::OpenPurpose::kRead);
  for (int64_t run = 1; run <= 4; ++run) {
    const auto recorded = store::find_run_evaluator(db, run, 0);
    ASSERT_TRUE(recorded.has_value()) << "run " << run;
    EXPECT_EQ(recorded->name, "fault-evaluator");
  }
  EXPECT_EQ(et::wait_until_gone(marker, 5), std::vector<int>{});
}

}  // namespace
}  // namespace seedline::distributed
