// The controller an environment task runs for one individual, built from an architecture and
// its developed phenotype: an nn::Mlp when the network is all dense layers (the fast path the
// built-in tasks always used), else an nn::ConvNet (conv layers on a C x H x W observation,
// a flatten, dense layers; docs/networks.md).
//
// Thread-safety: a PolicyNetwork is immutable; make_policy() is const and may be called from
// many threads, each using its own Policy. The network must outlive its policies.
// Failure: build_policy_network / build_conv_net throw seedline::Error(kInvalidArgument)
// naming the layer ("network[2]: ...") when the architecture cannot run in process (an
// embedding or layer-norm layer, a conv without an image input, a conv after a dense layer)
// or when the phenotype has the wrong size; kUnimplemented for an unknown kernel version.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "genome/architecture.hpp"
#include "nn/conv_net.hpp"
#include "tasks/task.hpp"

namespace seedline::genome {

class PolicyNetwork {
 public:
  virtual ~PolicyNetwork() = default;
  // A new policy with its own scratch memory: one per thread (or per episode).
  virtual std::unique_ptr<tasks::Policy> make_policy() const = 0;
  virtual int64_t input_size() const = 0;
  virtual int64_t output_size() const = 0;
};

// kernel_version: the run's evaluation arithmetic (Genome::kernel_version(), docs/kernels.md);
// every network of a run is built with it.
std::unique_ptr<const PolicyNetwork> build_policy_network(const Architecture& architecture,
                                                          std::span<const float> phenotype, int kernel_version);

// An nn::ConvNet from an architecture of conv layers (each with a C x H x W input), then
// optionally a flatten and dense layers, and its phenotype (tensors in architecture order,
// row-major: conv kernels (out, in, h, w), dense weights (out, in)).
nn::ConvNet build_conv_net(const Architecture& architecture, std::span<const float> phenotype, int kernel_version);

}  // namespace seedline::genome
