// A multilayer perceptron of dense layers: the controller evaluated in every episode step.
//
// Convention: each layer computes y = act(W x + b), with `weight` W of shape (out x in) —
// row r holds the incoming weights of output unit r — and `bias` b of length out (or empty
// for no bias). Eigen stores W column-major; that is a memory layout only and does not
// change what W(r, c) means. A genome's dense weight "out x in" maps onto W element for
// element when its rows are copied into W's rows.
//
// Kernel versions (docs/kernels.md): at versions 1 and 2 a layer is Eigen's GEMV (or per-output
// dot products for a layer of <= 4 outputs), then the bias; at version 3 it is kernels::gemv
// over W transposed and column-padded at construction: each output is bias then fma over the
// inputs in order, the same bits on every instruction path. The activation is the same code at
// every version (nn/activation.hpp).
//
// Thread-safety: an Mlp is immutable after construction; forward() is const and may run
// concurrently on many threads as long as each thread passes its own Scratch.
// Failure: the constructor throws seedline::Error(kInvalidArgument) naming the layer index
// when the shapes do not chain, kUnimplemented for a kernel version this binary lacks; forward() throws the same code when the input or output span
// has the wrong length. forward() does not allocate once its Scratch has grown to size
// (make_scratch() returns one that already has).
#pragma once

#include <Eigen/Core>
#include <span>
#include <vector>

#include "nn/activation.hpp"

namespace seedline::nn {

struct DenseLayer {
  Eigen::MatrixXf weight;  // out x in; y = weight * x + bias
  Eigen::VectorXf bias;    // length out, or empty for a layer without bias
  Activation activation = Activation::kLinear;
};

// Per-thread working memory of Mlp::forward: two ping-pong activation buffers. A
// default-constructed Scratch works too; forward grows it on first use.
struct Scratch {
  Eigen::VectorXf front;
  Eigen::VectorXf back;
};

class Mlp {
 public:
  // Takes ownership of the layers. Requires at least one layer, every layer with in >= 1 and
  // out >= 1, layer i's in == layer i-1's out, and a bias either empty or of length out.
  // kernel_version: the run's evaluation arithmetic (kernels/version.hpp).
  explicit Mlp(std::vector<DenseLayer> layers, int kernel_version = 1);

  int input_size() const { return input_size_; }
  int output_size() const { return output_size_; }
  const std::vector<DenseLayer>& layers() const { return layers_; }
  int kernel_version() const { return kernel_version_; }
  // Number of weights and biases, for reports.
  int64_t parameter_count() const;

  Scratch make_scratch() const;

  // Computes the outputs for one observation. input.size() must equal input_size() and
  // output.size() output_size().
  void forward(std::span<const float> input, std::span<float> output, Scratch& scratch) const;

 private:
  std::vector<DenseLayer> layers_;
  // For layers with few outputs (the action head), W transposed (in x out, column-major):
  // one contiguous dot product per output beats Eigen's GEMV kernel, whose setup dominates
  // there. Empty for the other layers.
  std::vector<Eigen::MatrixXf> transposed_;
  // Version 3: per layer W transposed in panels of kPanel outputs: panel p holds outputs
  // [p kPanel, p kPanel + width) as an (in x padded(width)) row-major block (zeros in the
  // padding), the panels one after another, so kernels::gemv streams each panel's memory once
  // (a wide layer's weights are MBs: the Atari head's 3136 x 256). The bias padded to
  // padded(out) (empty for a layer without bias). The layout only orders memory: each output
  // is the same fma chain whatever the panel.
  static constexpr int64_t kPanel = 64;
  struct Packed {
    std::vector<float> wt;
    std::vector<float> bias;
  };
  std::vector<Packed> packed_;
  int kernel_version_ = 1;
  int input_size_ = 0;
  int output_size_ = 0;
  int max_width_ = 0;  // widest hidden/output layer: the size of each scratch buffer
};

}  // namespace seedline::nn
