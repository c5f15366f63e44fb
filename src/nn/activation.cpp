#include "nn/activation.hpp"

#include <string>

#include "util/error.hpp"

namespace seedline::nn {

Activation parse_activation(std::string_view name) {
  if (name == "linear") return Activation::kLinear;
  if (name == "relu") return Activation::kRelu;
  if (name == "tanh") return Activation::kTanh;
  if (name == "sigmoid") return Activation::kSigmoid;
  invalid_argument("unknown activation '" + std::string(name) +
                   "' (expected linear, relu, tanh or sigmoid)");
}

std::string_view activation_name(Activation activation) {
  switch (activation) {
    case Activation::kLinear: return "linear";
    case Activation::kRelu: return "relu";
    case Activation::kTanh: return "tanh";
    case Activation::kSigmoid: return "sigmoid";
  }
  return "unknown";
}

void apply_activation(Activation activation, Eigen::Ref<Eigen::VectorXf> values) {
  switch (activation) {
    case Activation::kLinear:
      return;
    case Activation::kRelu:
      values = values.cwiseMax(0.0f);
      return;
    case Activation::kTanh:
      values = values.array().tanh().matrix();
      return;
    case Activation::kSigmoid:
      // Eigen's logistic() is branch-free and returns exactly 0/1 in the saturated tails,
      // where the naive 1/(1+exp(-x)) would pass through an infinity.
      values = values.array().logistic().matrix();
      return;
  }
}

}  // namespace seedline::nn
