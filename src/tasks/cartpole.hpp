// CartPole-v1 as in Gymnasium: a pole hinged on a cart that is pushed left or right.
//
// The dynamics, thresholds and rewards transcribe gymnasium/envs/classic_control/cartpole.py
// (Euler integration, float64 state, float32 observation): reward 1 for every step including
// the one that terminates, termination when |x| > 2.4 or |theta| > 12 degrees, truncation
// after max_steps (500, the v1 TimeLimit). The initial state is uniform in [-0.05, 0.05] for
// all four components, drawn by EpisodeRandom (not gymnasium's RNG stream). The action is
// the argmax of the two network outputs (ties and NaNs pick the lowest index); 1 pushes right.
//
// Thread-safety: the free functions are pure; CartPoleTask is immutable and const.
// Failure: none of its own; errors thrown by the Policy propagate out of run_episode.
#pragma once

#include <cstdint>
#include <span>

#include "tasks/task.hpp"

namespace seedline::tasks {

struct CartPoleState {
  double x = 0;
  double x_dot = 0;
  double theta = 0;
  double theta_dot = 0;
};

namespace cartpole {
inline constexpr double kGravity = 9.8;
inline constexpr double kMassCart = 1.0;
inline constexpr double kMassPole = 0.1;
inline constexpr double kTotalMass = kMassPole + kMassCart;
inline constexpr double kLength = 0.5;  // half the pole's length
inline constexpr double kPoleMassLength = kMassPole * kLength;
inline constexpr double kForceMag = 10.0;
inline constexpr double kTau = 0.02;
inline constexpr double kThetaThreshold = 12 * 2 * 3.141592653589793 / 360;  // python's math.pi
inline constexpr double kXThreshold = 2.4;
inline constexpr int64_t kDefaultMaxSteps = 500;
}  // namespace cartpole

// One Euler step under action 0 (push left) or 1 (push right).
CartPoleState cartpole_step(const CartPoleState& state, int action);
bool cartpole_terminated(const CartPoleState& state);
CartPoleState cartpole_initial_state(uint64_t episode_seed);
// argmax over the outputs, lowest index on ties; NaN never wins.
int argmax_action(std::span<const float> outputs);

class CartPoleTask final : public Task {
 public:
  CartPoleTask(int episodes, int64_t max_steps);

  std::string name() const override { return "cartpole"; }
  int observation_size() const override { return 4; }
  int action_size() const override { return 2; }
  ActionKind action_kind() const override { return ActionKind::kDiscrete; }
  bool scores_phenotype() const override { return false; }
  nlohmann::json resolved_spec() const override;
  int64_t max_steps() const { return max_steps_; }

  EpisodeResult run_episode(Policy& policy, uint64_t episode_seed) const override;
  // The same episode from a given initial state (tests pin trajectories with it).
  EpisodeResult run_episode_from(Policy& policy, const CartPoleState& initial) const;

 private:
  int64_t max_steps_;
};

}  // namespace seedline::tasks
