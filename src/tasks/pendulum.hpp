// Pendulum-v1 as in Gymnasium: swing a frictionless pendulum up and keep it upright.
//
// The dynamics and reward transcribe gymnasium/envs/classic_control/pendulum.py: g = 10,
// m = 1, l = 1, dt = 0.05, angular speed clipped to [-8, 8], reward
// -(angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 u^2) computed from the state before the step,
// 200 steps (the v1 TimeLimit; no termination). The initial th is uniform in [-pi, pi] and
// thdot in [-1, 1], drawn by EpisodeRandom. The observation is (cos th, sin th, thdot) as
// float32. The torque is u = 2 tanh(output[0]) rounded to float32 (gymnasium's action space
// is float32), then clipped to [-2, 2]; a NaN output is treated as 0 torque so that a broken
// network scores badly instead of poisoning the fitness with NaN.
//
// Thread-safety: the free functions are pure; PendulumTask is immutable and const.
// Failure: none of its own; errors thrown by the Policy propagate out of run_episode.
#pragma once

#include <cstdint>

#include "tasks/task.hpp"

namespace seedline::tasks {

struct PendulumState {
  double th = 0;
  double thdot = 0;
};

struct PendulumStep {
  PendulumState next;
  double reward = 0;
};

namespace pendulum {
inline constexpr double kMaxSpeed = 8.0;
inline constexpr double kMaxTorque = 2.0;
inline constexpr double kDt = 0.05;
inline constexpr double kG = 10.0;
inline constexpr double kM = 1.0;
inline constexpr double kL = 1.0;
inline constexpr double kPi = 3.141592653589793;  // numpy's np.pi
inline constexpr int64_t kDefaultMaxSteps = 200;
}  // namespace pendulum

// ((x + pi) mod 2 pi) - pi with Python's floor modulo (result of the mod in [0, 2 pi)).
double angle_normalize(double x);
// One step under torque u (clipped to [-2, 2] first, as gymnasium does).
PendulumStep pendulum_step(const PendulumState& state, double u);
PendulumState pendulum_initial_state(uint64_t episode_seed);
// The torque the task applies for a raw network output.
float pendulum_torque(float output);

class PendulumTask final : public Task {
 public:
  PendulumTask(int episodes, int64_t max_steps);

  std::string name() const override { return "pendulum"; }
  int observation_size() const override { return 3; }
  int action_size() const override { return 1; }
  ActionKind action_kind() const override { return ActionKind::kContinuous; }
  bool scores_phenotype() const override { return false; }
  nlohmann::json resolved_spec() const override;
  int64_t max_steps() const { return max_steps_; }

  EpisodeResult run_episode(Policy& policy, uint64_t episode_seed) const override;
  EpisodeResult run_episode_from(Policy& policy, const PendulumState& initial) const;

 private:
  int64_t max_steps_;
};

}  // namespace seedline::tasks
