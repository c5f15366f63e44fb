// ConvNet: the pixel networks of the paper's Table 2 as a controller: a stack of conv layers
// on a C x H x W observation, flattened (channel-major, as torch.flatten does), then dense
// layers (an nn::Mlp head). Either part may be empty, not both.
//
// forward() runs the layers over preallocated ping-pong buffers (conv2d_forward per conv
// layer, or at version 3 without padding conv2d_forward_gathered, the same bits without an
// im2col copy; Mlp::forward for the head): no allocation once the ConvNetScratch has its size
// (make_scratch() returns one that has).
//
// kernel_version (docs/kernels.md) picks the arithmetic of every layer, conv and dense head
// alike: Eigen at 1 and 2, the fixed-order kernels at 3 (nn/conv.hpp, nn/mlp.hpp).
//
// Thread-safety: immutable after construction; forward() is const and may run concurrently
// as long as each thread passes its own ConvNetScratch.
// Failure: the constructor throws seedline::Error(kInvalidArgument) naming the layer when
// shapes do not chain (a conv's input is not the previous conv's output, the head's input
// width is not the flattened conv output, a kernel or bias of the wrong length); forward()
// throws the same code when the input or output span has the wrong length; kUnimplemented for a
// kernel version this binary lacks.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "nn/conv.hpp"
#include "nn/mlp.hpp"

namespace seedline::nn {

struct ConvLayer {
  ConvGeometry geometry;
  std::vector<float> kernel;  // (O, C, KH, KW) row-major: geometry.kernel_size() values
  std::vector<float> bias;    // O values, or empty for no bias
  Activation activation = Activation::kLinear;
};

// Per-thread working memory of ConvNet::forward.
struct ConvNetScratch {
  std::vector<float> front, back;  // conv activations, ping-pong
  std::vector<float> cols;         // im2col patches of the largest conv layer (or a gathered layer's product)
  Scratch head;
};

class ConvNet {
 public:
  ConvNet(std::vector<ConvLayer> convs, std::vector<DenseLayer> head, int kernel_version = 1);

  int64_t input_size() const { return input_size_; }
  int64_t output_size() const { return output_size_; }
  const std::vector<ConvLayer>& convs() const { return convs_; }
  int64_t parameter_count() const;
  int kernel_version() const { return kernel_version_; }

  ConvNetScratch make_scratch() const;

  // input: the observation, C*H*W values in (C, H, W) order (or the head's input width when
  // there is no conv layer); output: output_size() values.
  void forward(std::span<const float> input, std::span<float> output, ConvNetScratch& scratch) const;

 private:
  std::vector<ConvLayer> convs_;
  // At kernel version 3, each layer without padding prepared for conv2d_forward_gathered.
  std::vector<std::optional<GatheredConv>> gathered_;
  std::optional<Mlp> head_;
  int64_t input_size_ = 0;
  int64_t output_size_ = 0;
  int64_t max_activation_ = 0;  // largest conv output
  int64_t max_cols_ = 0;        // largest im2col buffer
  int kernel_version_ = 1;
};

}  // namespace seedline::nn
