// MlpPolicy: an nn::Mlp acting as a task's Policy (the network's raw outputs are the action
// outputs; the task maps them to actions).
//
// Thread-safety: holds a reference to a shared, immutable Mlp and owns its own Scratch; use
// one MlpPolicy per thread. The Mlp must outlive the policy.
// Failure: act throws seedline::Error(kInvalidArgument) when the observation or output size
// does not match the network (a network built for another task).
#pragma once

#include <span>

#include "nn/mlp.hpp"
#include "tasks/task.hpp"

namespace seedline::tasks {

class MlpPolicy final : public Policy {
 public:
  explicit MlpPolicy(const nn::Mlp& mlp) : mlp_(mlp), scratch_(mlp.make_scratch()) {}

  void act(std::span<const float> obs, std::span<float> out) override { mlp_.forward(obs, out, scratch_); }

 private:
  const nn::Mlp& mlp_;
  nn::Scratch scratch_;
};

}  // namespace seedline::tasks
