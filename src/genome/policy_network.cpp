#include "genome/policy_network.hpp"

#include <Eigen/Core>
#include <string>
#include <vector>

#include "genome/genome.hpp"
#include "tasks/conv_net_policy.hpp"
#include "tasks/mlp_policy.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class MlpNetwork final : public PolicyNetwork {
 public:
  explicit MlpNetwork(nn::Mlp mlp) : mlp_(std::move(mlp)) {}
  std::unique_ptr<tasks::Policy> make_policy() const override { return std::make_unique<tasks::MlpPolicy>(mlp_); }
  int64_t input_size() const override { return mlp_.input_size(); }
  int64_t output_size() const override { return mlp_.output_size(); }

 private:
  nn::Mlp mlp_;
};

class ConvNetwork final : public PolicyNetwork {
 public:
  explicit ConvNetwork(nn::ConvNet net) : net_(std::move(net)) {}
  std::unique_ptr<tasks::Policy> make_policy() const override {
    return std::make_unique<tasks::ConvNetPolicy>(net_);
  }
  int64_t input_size() const override { return net_.input_size(); }
  int64_t output_size() const override { return net_.output_size(); }

 private:
  nn::ConvNet net_;
};

std::string layer_name(size_t i) { return "network[" + std::to_string(i) + "]"; }

}  // namespace

nn::ConvNet build_conv_net(const Architecture& architecture, std::span<const float> phenotype, int kernel_version) {
  if (phenotype.size() != static_cast<size_t>(architecture.parameter_count())) {
    invalid_argument("build_conv_net: the phenotype has " + std::to_string(phenotype.size()) +
                     " values; the architecture has " + std::to_string(architecture.parameter_count()));
  }
  std::vector<size_t> offsets;
  size_t at = 0;
  for (const auto& t : architecture.tensors) {
    offsets.push_back(at);
    at += static_cast<size_t>(t.size());
  }
  const auto tensor = [&](int ti) {
    const TensorSpec& t = architecture.tensors[static_cast<size_t>(ti)];
    return phenotype.subspan(offsets[static_cast<size_t>(ti)], static_cast<size_t>(t.size()));
  };

  std::vector<nn::ConvLayer> convs;
  std::vector<nn::DenseLayer> head;
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const LayerSpec& spec = architecture.layers[i];
    if (spec.type == "conv") {
      if (!head.empty()) invalid_argument(layer_name(i) + ": a conv layer after dense layers cannot run");
      if (spec.input_shape.size() != 3) {
        invalid_argument(layer_name(i) + ": a conv layer runs only on an image input [C, H, W] (the task's "
                         "observation_shape or the first layer's \"in\"); this one has no spatial size");
      }
      nn::ConvLayer c;
      const TensorSpec& k = architecture.tensors[static_cast<size_t>(spec.tensors[0])];
      c.geometry = nn::ConvGeometry::make(spec.input_shape[0], spec.input_shape[1], spec.input_shape[2], k.shape[0],
                                          k.shape[2], k.shape[3], spec.stride_h, spec.stride_w, spec.padding_h,
                                          spec.padding_w);
      const auto kernel = tensor(spec.tensors[0]);
      c.kernel.assign(kernel.begin(), kernel.end());
      if (spec.tensors.size() > 1) {
        const auto bias = tensor(spec.tensors[1]);
        c.bias.assign(bias.begin(), bias.end());
      }
      c.activation = spec.activation;
      convs.push_back(std::move(c));
    } else if (spec.type == "flatten") {
      continue;  // the conv output is already laid out flat, channel-major
    } else if (spec.type == "dense") {
      nn::DenseLayer layer;
      layer.activation = spec.activation;
      const TensorSpec& w = architecture.tensors[static_cast<size_t>(spec.tensors[0])];
      layer.weight = Eigen::Map<const RowMajor>(tensor(spec.tensors[0]).data(), w.shape[0], w.shape[1]);
      if (spec.tensors.size() > 1) {
        layer.bias = Eigen::Map<const Eigen::VectorXf>(tensor(spec.tensors[1]).data(), w.shape[0]);
      }
      head.push_back(std::move(layer));
    } else {
      invalid_argument(layer_name(i) + ": a " + spec.type +
                       " layer cannot run in a policy network (conv, flatten and dense layers can)");
    }
  }
  return nn::ConvNet(std::move(convs), std::move(head), kernel_version);
}

std::unique_ptr<const PolicyNetwork> build_policy_network(const Architecture& architecture,
                                                          std::span<const float> phenotype, int kernel_version) {
  if (architecture.is_mlp()) {
    return std::make_unique<MlpNetwork>(build_mlp(architecture, phenotype, kernel_version));
  }
  return std::make_unique<ConvNetwork>(build_conv_net(architecture, phenotype, kernel_version));
}

}  // namespace seedline::genome
