// Hand-made policies for the task tests.
#pragma once

#include <algorithm>
#include <functional>
#include <span>
#include <vector>

#include "tasks/task.hpp"

namespace seedline::tasks::testing {

// Always emits the same outputs; records every observation it sees.
class ConstantPolicy final : public Policy {
 public:
  explicit ConstantPolicy(std::vector<float> outputs) : outputs_(std::move(outputs)) {}
  void act(std::span<const float> obs, std::span<float> out) override {
    observations.emplace_back(obs.begin(), obs.end());
    std::copy(outputs_.begin(), outputs_.end(), out.begin());
  }
  std::vector<std::vector<float>> observations;

 private:
  std::vector<float> outputs_;
};

// Outputs computed by a function of the observation.
class FunctionPolicy final : public Policy {
 public:
  using Fn = std::function<void(std::span<const float>, std::span<float>)>;
  explicit FunctionPolicy(Fn fn) : fn_(std::move(fn)) {}
  void act(std::span<const float> obs, std::span<float> out) override { fn_(obs, out); }

 private:
  Fn fn_;
};

// A linear state-feedback controller that balances CartPole: push right when
// 0.1 x + 0.5 x_dot + theta + theta_dot > 0 (found by a small search over gains in the
// reference script's dynamics; it holds the pole for 500 steps from every start tried).
inline FunctionPolicy balancing_cartpole_policy() {
  return FunctionPolicy([](std::span<const float> s, std::span<float> out) {
    const float drive = 0.1f * s[0] + 0.5f * s[1] + 1.0f * s[2] + 1.0f * s[3];
    out[0] = 0.0f;
    out[1] = drive;
  });
}

}  // namespace seedline::tasks::testing
