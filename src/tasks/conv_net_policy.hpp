// ConvNetPolicy: an nn::ConvNet acting as a task's Policy (the network's raw outputs are the
// action outputs; the task maps them to actions), as MlpPolicy does for an nn::Mlp.
//
// Thread-safety: holds a reference to a shared, immutable ConvNet and owns its own scratch;
// use one ConvNetPolicy per thread. The ConvNet must outlive the policy.
// Failure: act throws seedline::Error(kInvalidArgument) when the observation or output size
// does not match the network (a network built for another task).
#pragma once

#include <span>

#include "nn/conv_net.hpp"
#include "tasks/task.hpp"

namespace seedline::tasks {

class ConvNetPolicy final : public Policy {
 public:
  explicit ConvNetPolicy(const nn::ConvNet& net) : net_(net), scratch_(net.make_scratch()) {}

  void act(std::span<const float> obs, std::span<float> out) override { net_.forward(obs, out, scratch_); }

 private:
  const nn::ConvNet& net_;
  nn::ConvNetScratch scratch_;
};

}  // namespace seedline::tasks
