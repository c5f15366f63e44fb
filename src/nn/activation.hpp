// Elementwise activation functions of the dense layers.
//
// Stateless free functions: safe from any thread. parse_activation throws
// seedline::Error(kInvalidArgument) naming the unknown value; apply_activation cannot fail.
// The float32 tanh/sigmoid come from Eigen's vectorised kernels, so their last bits may
// differ between CPUs and SIMD widths; only the genotype path promises identical bits.
#pragma once

#include <Eigen/Core>
#include <string_view>

namespace seedline::nn {

enum class Activation { kLinear, kRelu, kTanh, kSigmoid };

// Accepts "linear", "relu", "tanh", "sigmoid" (the names used in experiment files).
Activation parse_activation(std::string_view name);
std::string_view activation_name(Activation activation);

// Applies the activation in place. sigmoid(x) = 1 / (1 + exp(-x)); it saturates to exactly
// 0 or 1 for large |x| rather than overflowing.
void apply_activation(Activation activation, Eigen::Ref<Eigen::VectorXf> values);

}  // namespace seedline::nn
