#include "nn/conv_net.hpp"

#include <algorithm>
#include <string>

#include "kernels/version.hpp"
#include "util/error.hpp"

namespace seedline::nn {

ConvNet::ConvNet(std::vector<ConvLayer> convs, std::vector<DenseLayer> head, int kernel_version)
    : convs_(std::move(convs)), kernel_version_(kernel_version) {
  kernels::require_supported(kernel_version_);
  if (convs_.empty() && head.empty()) invalid_argument("convnet: needs at least one layer");
  for (size_t i = 0; i < convs_.size(); ++i) {
    const ConvLayer& c = convs_[i];
    const ConvGeometry& g = c.geometry;
    const std::string where = "convnet conv layer " + std::to_string(i) + ": ";
    // Re-derive the output size, so a hand-made geometry cannot disagree with the arithmetic.
    const ConvGeometry checked = ConvGeometry::make(g.channels, g.height, g.width, g.out_channels, g.kernel_h,
                                                    g.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w);
    if (checked.out_h != g.out_h || checked.out_w != g.out_w) {
      invalid_argument(where + "output size " + std::to_string(g.out_h) + "x" + std::to_string(g.out_w) +
                       " does not follow from its geometry (" + std::to_string(checked.out_h) + "x" +
                       std::to_string(checked.out_w) + ")");
    }
    if (static_cast<int64_t>(c.kernel.size()) != g.kernel_size()) {
      invalid_argument(where + "kernel has " + std::to_string(c.kernel.size()) + " values, expected " +
                       std::to_string(g.kernel_size()));
    }
    if (!c.bias.empty() && static_cast<int64_t>(c.bias.size()) != g.out_channels) {
      invalid_argument(where + "bias has " + std::to_string(c.bias.size()) + " values, expected " +
                       std::to_string(g.out_channels));
    }
    if (i > 0) {
      const ConvGeometry& p = convs_[i - 1].geometry;
      if (p.out_channels != g.channels || p.out_h != g.height || p.out_w != g.width) {
        invalid_argument(where + "input " + std::to_string(g.channels) + "x" + std::to_string(g.height) + "x" +
                         std::to_string(g.width) + " is not layer " + std::to_string(i - 1) + "'s output " +
                         std::to_string(p.out_channels) + "x" + std::to_string(p.out_h) + "x" +
                         std::to_string(p.out_w));
      }
    }
    max_activation_ = std::max(max_activation_, g.output_size());
    gathered_.push_back(kernel_version_ >= 3 ? GatheredConv::prepare(g, c.kernel.data(),
                                                                     c.bias.empty() ? nullptr : c.bias.data())
                                             : std::nullopt);
    max_cols_ = std::max(max_cols_, gathered_.back() ? gathered_.back()->scratch_size(g) : g.cols_size(kernel_version_));
  }
  const int64_t flat = convs_.empty() ? 0 : convs_.back().geometry.output_size();
  if (!head.empty()) {
    head_.emplace(std::move(head), kernel_version_);
    if (!convs_.empty() && head_->input_size() != flat) {
      invalid_argument("convnet: the dense head takes " + std::to_string(head_->input_size()) +
                       " inputs but the flattened conv output has " + std::to_string(flat));
    }
  }
  input_size_ = convs_.empty() ? head_->input_size() : convs_.front().geometry.input_size();
  output_size_ = head_ ? head_->output_size() : flat;
}

int64_t ConvNet::parameter_count() const {
  int64_t n = head_ ? head_->parameter_count() : 0;
  for (const ConvLayer& c : convs_) n += static_cast<int64_t>(c.kernel.size() + c.bias.size());
  return n;
}

ConvNetScratch ConvNet::make_scratch() const {
  ConvNetScratch s;
  s.front.resize(static_cast<size_t>(max_activation_));
  s.back.resize(static_cast<size_t>(max_activation_));
  s.cols.resize(static_cast<size_t>(max_cols_));
  if (head_) s.head = head_->make_scratch();
  return s;
}

void ConvNet::forward(std::span<const float> input, std::span<float> output, ConvNetScratch& scratch) const {
  if (static_cast<int64_t>(input.size()) != input_size_) {
    invalid_argument("convnet forward: input has " + std::to_string(input.size()) + " values, expected " +
                     std::to_string(input_size_));
  }
  if (static_cast<int64_t>(output.size()) != output_size_) {
    invalid_argument("convnet forward: output has " + std::to_string(output.size()) + " values, expected " +
                     std::to_string(output_size_));
  }
  if (static_cast<int64_t>(scratch.front.size()) < max_activation_) scratch.front.resize(max_activation_);
  if (static_cast<int64_t>(scratch.back.size()) < max_activation_) scratch.back.resize(max_activation_);
  if (static_cast<int64_t>(scratch.cols.size()) < max_cols_) scratch.cols.resize(max_cols_);

  const float* x = input.data();
  for (size_t i = 0; i < convs_.size(); ++i) {
    const ConvLayer& c = convs_[i];
    float* y = (i % 2 == 0 ? scratch.front : scratch.back).data();
    if (gathered_[i]) {
      conv2d_forward_gathered(c.geometry, *gathered_[i], x, c.activation, y, scratch.cols.data());
    } else {
      conv2d_forward(c.geometry, x, c.kernel.data(), c.bias.empty() ? nullptr : c.bias.data(), c.activation, y,
                     scratch.cols.data(), kernel_version_);
    }
    x = y;
  }
  // Flatten is free: (C, H, W) row-major is already the channel-major flat vector.
  const int64_t flat = convs_.empty() ? input_size_ : convs_.back().geometry.output_size();
  if (head_) {
    head_->forward(std::span<const float>(x, static_cast<size_t>(flat)), output, scratch.head);
  } else {
    std::copy_n(x, flat, output.data());
  }
}

}  // namespace seedline::nn
