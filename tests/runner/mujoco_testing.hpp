// The tiny humanoid experiment the mujoco runner tests share (tests/runner/mujoco_run_test.cpp,
// tests/distributed/mpi_mujoco_test.cpp).
#pragma once

namespace seedline::runner::testing {

// Tiny: 12-step episodes (0.3 s of simulated time), populations of 8, three generations. The
// network gives neither its input (53 observations) nor its output (21 motors).
inline const char* kHumanoidExperiment = R"({
  "name": "humanoid-tiny", "seed": 8, "trials": 1,
  "task": {"type": "mujoco", "env": "humanoid", "max_steps": 12, "episodes": 1},
  "network": [{"type": "dense", "out": 8, "activation": "tanh"}, {"type": "dense"}],
  "ga": {"population": 8, "elites": 1, "generations": 3, "snapshot_every": 2,
         "stages": [{"evaluations": 1, "keep": 4}, {"evaluations": 2, "keep": 2}]},
  "conditions": [
    {"name": "direct", "representation": {"type": "direct"}},
    {"name": "factorized", "representation": {"type": "factorized", "rank": 2}},
    {"name": "eggroll", "algorithm": {"type": "es", "sigma": 0.05, "learning_rate": 0.03, "optimizer": "adam",
                                      "perturbation": {"type": "lowrank", "rank": 1}},
     "ga": {"stages": [{"evaluations": 2, "keep": 2}]}}]})";

}  // namespace seedline::runner::testing
