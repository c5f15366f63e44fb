#include "tasks/cartpole.hpp"

#include <array>
#include <cmath>

#include "tasks/episode_random.hpp"
#include "util/stop_check.hpp"

namespace seedline::tasks {

using namespace cartpole;

CartPoleState cartpole_step(const CartPoleState& s, int action) {
  // The order of operations follows gymnasium's step() term by term (this file is built with
  // -ffp-contract=off), so a trajectory matches gymnasium's float64 one bit for bit on the
  // same libm.
  const double force = action == 1 ? kForceMag : -kForceMag;
  const double costheta = std::cos(s.theta);
  const double sintheta = std::sin(s.theta);
  const double temp = (force + kPoleMassLength * (s.theta_dot * s.theta_dot) * sintheta) / kTotalMass;
  const double thetaacc = (kGravity * sintheta - costheta * temp) /
                          (kLength * (4.0 / 3.0 - kMassPole * (costheta * costheta) / kTotalMass));
  const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;
  CartPoleState next;
  next.x = s.x + kTau * s.x_dot;
  next.x_dot = s.x_dot + kTau * xacc;
  next.theta = s.theta + kTau * s.theta_dot;
  next.theta_dot = s.theta_dot + kTau * thetaacc;
  return next;
}

bool cartpole_terminated(const CartPoleState& s) {
  return s.x < -kXThreshold || s.x > kXThreshold || s.theta < -kThetaThreshold ||
         s.theta > kThetaThreshold;
}

CartPoleState cartpole_initial_state(uint64_t episode_seed) {
  EpisodeRandom random(episode_seed);
  CartPoleState s;
  s.x = random.uniform(-0.05, 0.05);
  s.x_dot = random.uniform(-0.05, 0.05);
  s.theta = random.uniform(-0.05, 0.05);
  s.theta_dot = random.uniform(-0.05, 0.05);
  return s;
}

int argmax_action(std::span<const float> outputs) {
  int best = 0;
  for (size_t i = 1; i < outputs.size(); ++i) {
    // A NaN best is replaced by the first real value; a NaN candidate never wins.
    if (outputs[i] > outputs[best] || (std::isnan(outputs[best]) && !std::isnan(outputs[i]))) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

CartPoleTask::CartPoleTask(int episodes, int64_t max_steps) : Task(episodes), max_steps_(max_steps) {}

nlohmann::json CartPoleTask::resolved_spec() const {
  return {{"type", name()}, {"episodes", episodes()}, {"max_steps", max_steps_}};
}

EpisodeResult CartPoleTask::run_episode(Policy& policy, uint64_t episode_seed) const {
  return run_episode_from(policy, cartpole_initial_state(episode_seed));
}

EpisodeResult CartPoleTask::run_episode_from(Policy& policy, const CartPoleState& initial) const {
  CartPoleState state = initial;
  std::array<float, 4> obs{};
  std::array<float, 2> out{};
  EpisodeResult result;
  while (result.steps < max_steps_) {
    // A long episode (max_steps up to millions) must not delay a stop request; polling
    // reads a flag and never changes the episode.
    if (result.steps % kStopPollSteps == 0) poll_stop();
    obs = {static_cast<float>(state.x), static_cast<float>(state.x_dot),
           static_cast<float>(state.theta), static_cast<float>(state.theta_dot)};
    policy.act(obs, out);
    state = cartpole_step(state, argmax_action(out));
    ++result.steps;
    result.reward += 1.0;
    if (cartpole_terminated(state)) break;
  }
  return result;
}

}  // namespace seedline::tasks
