// The mujoco humanoid under a real `mpirun --oversubscribe -n 3`: each rank loads the model
// itself and evaluates its share, and the histories equal one process's (GA and EGGROLL).
// Skipped when mpirun, seedline's MPI support or MuJoCo is missing.
#include <gtest/gtest.h>

#include "distributed/mpi_testing.hpp"
#include "runner/mujoco_testing.hpp"
#include "runner/runner_testing.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "tasks/mujoco_task.hpp"

namespace seedline::distributed {
namespace {

namespace rt = seedline::runner::testing;

TEST(MpiMujoco, ThreeRanksGiveTheHumanoidHistoriesOfOneProcess) {
  REQUIRE_MPI();
  if (!tasks::mujoco_built()) GTEST_SKIP() << "built without MuJoCo";
  seedline::testing::TempDir dir;
  const auto file = dir / "humanoid.json";
  seedline::testing::write_file(file, rt::kHumanoidExperiment);
  const auto plain = dir / "plain.db", spread = dir / "mpi.db";
  const auto r1 = seedline::testing::run_seedline({"--db", plain.string(), "run", file.string(), "--threads", "2"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const auto r3 = seedline::testing::run_process(
      testing::mpirun(3, {"--db", spread.string(), "run", "--mpi", file.string(), "--threads", "1"}), "", {},
      testing::kMpiEnv);
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  const auto a = rt::read_histories(plain), b = rt::read_histories(spread);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), a.size());
  for (const auto& [run, h] : a) {
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(rt::first_difference(h, b.at(run)), "") << "run " << run;
  }
}

}  // namespace
}  // namespace seedline::distributed
