// Runs from pretrained weights under a real `mpirun --oversubscribe`: every rank builds the
// genome itself, so each reads and verifies the base file (docs/genome.md, "Pretrained
// starting points"); GA and ES runs, direct and lora, end with the histories of one process.
// Skipped (with the reason) only when mpirun is missing or the binary was built without MPI.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "genome/safetensors.hpp"
#include "distributed/mpi_testing.hpp"
#include "runner/runner_testing.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::distributed {
namespace {

using nlohmann::json;
using seedline::testing::run_process;
using seedline::testing::run_seedline;
using seedline::testing::write_file;
namespace rt = seedline::runner::testing;

using testing::kMpiEnv;
using testing::mpirun;

TEST(MpiPretrained, ThreeRanksGiveTheHistoriesOfOneProcessFromABaseFile) {
  REQUIRE_MPI();
  seedline::testing::TempDir dir;
  // A base for a 6 -> 4 dense layer, values chosen here.
  std::vector<float> weight(24), bias(4);
  for (size_t i = 0; i < weight.size(); ++i) weight[i] = 0.1f * static_cast<float>(static_cast<int>(i % 9) - 4);
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = 0.05f * static_cast<float>(i);
  write_file(dir / "base.safetensors",
             genome::encode_safetensors({{"layers.0.weight", {4, 6}, weight}, {"layers.0.bias", {4}, bias}},
                                        json::object()));
  const json es = {{"type", "es"}, {"sigma", 0.05}, {"learning_rate", 0.03}};
  const json spec = {
      {"name", "mpi-pretrained"}, {"seed", 3}, {"task", {{"type", "sphere"}, {"shift", 0.5}}},
      {"network", json::array({{{"type", "dense"}, {"in", 6}, {"out", 4}}})},
      {"init", {{"from", (dir / "base.safetensors").string()}}},
      {"ga", {{"population", 12}, {"truncation", 4}, {"generations", 5}, {"mutation_rate", 0.1}, {"snapshot_every", 2}}},
      {"conditions", json::array({{{"name", "direct"}},
                                  {{"name", "lora"}, {"representation", {{"type", "lora"}, {"rank", 2}}}},
                                  {{"name", "es-lora"}, {"representation", {{"type", "lora"}, {"rank", 2}}},
                                   {"algorithm", es}}})}};
  write_file(dir / "exp.json", spec.dump());
  const auto plain = dir / "plain.db", spread = dir / "mpi.db";
  const auto r1 = run_seedline({"--db", plain.string(), "run", (dir / "exp.json").string(), "--threads", "2"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const auto r3 = run_process(
      mpirun(3, {"--db", spread.string(), "run", "--mpi", (dir / "exp.json").string(), "--threads", "1"}), "", {},
      kMpiEnv);
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  const auto x = rt::read_histories(plain), y = rt::read_histories(spread);
  ASSERT_EQ(x.size(), 3u);
  ASSERT_EQ(y.size(), 3u);
  for (const auto& [run, h] : x) {
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(rt::first_difference(h, y.at(run)), "") << "run " << run;
  }
}

}  // namespace
}  // namespace seedline::distributed
