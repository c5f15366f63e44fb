#include "tasks/pendulum.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "tasks/episode_random.hpp"
#include "util/stop_check.hpp"

namespace seedline::tasks {

using namespace pendulum;

double angle_normalize(double x) {
  // Python's float % (and numpy's): fmod, then shift into the divisor's sign.
  constexpr double kTwoPi = 2 * kPi;
  double r = std::fmod(x + kPi, kTwoPi);
  if (r < 0) r += kTwoPi;
  return r - kPi;
}

PendulumStep pendulum_step(const PendulumState& s, double u) {
  u = std::clamp(u, -kMaxTorque, kMaxTorque);
  const double an = angle_normalize(s.th);
  const double costs = an * an + 0.1 * (s.thdot * s.thdot) + 0.001 * (u * u);
  // 3 * g / (2 * l) and 3.0 / (m * l**2) evaluated in gymnasium's order.
  double newthdot = s.thdot + (3 * kG / (2 * kL) * std::sin(s.th) + 3.0 / (kM * (kL * kL)) * u) * kDt;
  newthdot = std::clamp(newthdot, -kMaxSpeed, kMaxSpeed);
  PendulumStep step;
  step.next.th = s.th + newthdot * kDt;
  step.next.thdot = newthdot;
  step.reward = -costs;
  return step;
}

PendulumState pendulum_initial_state(uint64_t episode_seed) {
  EpisodeRandom random(episode_seed);
  PendulumState s;
  s.th = random.uniform(-kPi, kPi);
  s.thdot = random.uniform(-1.0, 1.0);
  return s;
}

float pendulum_torque(float output) {
  if (std::isnan(output)) return 0.0f;
  return static_cast<float>(kMaxTorque * std::tanh(static_cast<double>(output)));
}

PendulumTask::PendulumTask(int episodes, int64_t max_steps) : Task(episodes), max_steps_(max_steps) {}

nlohmann::json PendulumTask::resolved_spec() const {
  return {{"type", name()}, {"episodes", episodes()}, {"max_steps", max_steps_}};
}

EpisodeResult PendulumTask::run_episode(Policy& policy, uint64_t episode_seed) const {
  return run_episode_from(policy, pendulum_initial_state(episode_seed));
}

EpisodeResult PendulumTask::run_episode_from(Policy& policy, const PendulumState& initial) const {
  PendulumState state = initial;
  std::array<float, 3> obs{};
  std::array<float, 1> out{};
  EpisodeResult result;
  while (result.steps < max_steps_) {
    // A long episode (max_steps up to millions) must not delay a stop request; polling
    // reads a flag and never changes the episode.
    if (result.steps % kStopPollSteps == 0) poll_stop();
    obs = {static_cast<float>(std::cos(state.th)), static_cast<float>(std::sin(state.th)),
           static_cast<float>(state.thdot)};
    policy.act(obs, out);
    const PendulumStep step = pendulum_step(state, pendulum_torque(out[0]));
    state = step.next;
    result.reward += step.reward;
    ++result.steps;
  }
  return result;
}

}  // namespace seedline::tasks
