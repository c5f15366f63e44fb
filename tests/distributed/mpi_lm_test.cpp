// A language-model experiment (the transformer on the fixed-order kernels, docs/kernels.md)
// under a real `mpirun --oversubscribe` whose ranks compute on different kernel paths: rank 0
// on the portable path, ranks 1 and 2 on the best path this CPU has (one MPMD job, each
// application context with its own SEEDLINE_KERNELS). The histories (every member's fitness
// bits, lineage and summaries) equal a plain 2-thread run's. Skipped when mpirun or
// seedline's MPI support is missing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "distributed/mpi_testing.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/version.hpp"
#include "runner/runner_testing.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::distributed {
namespace {

namespace rt = seedline::runner::testing;
using seedline::testing::run_process;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

TEST(MpiLanguageModel, RanksOnDifferentKernelPathsGiveTheHistoriesOfOneProcess) {
  REQUIRE_MPI();
  TempDir dir;
  std::mt19937 rng(5);
  std::string text;
  for (int s = 0; s < 24; ++s) {
    const int len = 2 + static_cast<int>(rng() % 40);
    for (int t = 0; t < len; ++t) {
      text += t ? " " : "";
      text += std::to_string(rng() % 29);
    }
    text += "\n";
  }
  write_file(dir / "data.tokens", text);
  const nlohmann::json spec = {
      {"name", "lm-mpi"}, {"seed", 23}, {"trials", 1},
      {"task", {{"type", "language_model"}, {"data", (dir / "data.tokens").string()}, {"sequences", 20}}},
      {"network", nlohmann::json::array({{{"type", "transformer"}, {"vocab", 32}, {"d_model", 8}, {"blocks", 2},
                                          {"heads", 2}, {"head_dim", 4}, {"ff", 16}}})},
      {"ga", {{"population", 12}, {"elites", 1}, {"generations", 4}, {"mutation_rate", 0.05},
              {"stages", nlohmann::json::array({{{"evaluations", 1}, {"keep", 4}}})}}},
      {"conditions", nlohmann::json::array(
                         {{{"name", "factorized"},
                           {"representation", {{"type", "factorized"}, {"rank", 2}, {"embedding_rank", 4}}}},
                          {{"name", "direct"}, {"representation", {{"type", "direct"}}}}})}};
  const auto file = dir / "lm.json";
  write_file(file, spec.dump());
  const auto plain = dir / "plain.db", spread = dir / "mpi.db";
  const auto r1 = run_seedline({"--db", plain.string(), "run", file.string(), "--threads", "2"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;

  const std::string best = kernels::path_name(kernels::best_path());
  const std::string seedline = seedline::testing::seedline_bin().string();
  const std::vector<std::string> args = {"--db", spread.string(), "run", "--mpi", file.string(), "--threads", "1"};
  std::vector<std::string> argv = {testing::find_mpirun(), "--oversubscribe", "-n", "1", "-x",
                                   "SEEDLINE_KERNELS=portable", seedline};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const std::string& a : {std::string(":"), std::string("-n"), std::string("2"), std::string("-x"),
                               "SEEDLINE_KERNELS=" + best, seedline}) {
    argv.push_back(a);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r3 = run_process(argv, "", {}, testing::kMpiEnv);
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  EXPECT_NE(r3.err.find("seedline mpi: 3 ranks"), std::string::npos) << r3.err;

  const auto a = rt::read_histories(plain), b = rt::read_histories(spread);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), a.size());
  for (const auto& [run, h] : a) {
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(rt::first_difference(h, b.at(run)), "") << "run " << run;
  }
  // The runs computed with the kernels (version 2 or later), not version 1's Eigen code.
  auto db = store::open_database(spread, store::OpenPurpose::kRead);
  for (const auto& [run, h] : b) {
    EXPECT_EQ(store::find_run(db, run)->kernel_version, kernels::kNewestVersion) << "run " << run;
  }
}

}  // namespace
}  // namespace seedline::distributed
