#include "nn/mlp.hpp"

#include <algorithm>
#include <string>

#include "kernels/kernels.hpp"
#include "kernels/version.hpp"
#include "util/error.hpp"

namespace seedline::nn {
namespace {

// Up to this many outputs a layer is computed as per-output dot products (measured on a 2-core
// x86-64 without -march: 2x32 about 4x and 4x64 about 1.5x faster than GEMV; 8x64 even).
constexpr Eigen::Index kDotProductMaxOutputs = 4;

std::string shape(Eigen::Index rows, Eigen::Index cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

}  // namespace

Mlp::Mlp(std::vector<DenseLayer> layers, int kernel_version)
    : layers_(std::move(layers)), kernel_version_(kernel_version) {
  kernels::require_supported(kernel_version_);
  if (layers_.empty()) invalid_argument("mlp: needs at least one layer");
  for (size_t i = 0; i < layers_.size(); ++i) {
    const DenseLayer& layer = layers_[i];
    const std::string where = "mlp layer " + std::to_string(i) + ": ";
    if (layer.weight.rows() < 1 || layer.weight.cols() < 1) {
      invalid_argument(where + "weight shape " + shape(layer.weight.rows(), layer.weight.cols()) +
                       " is empty");
    }
    if (i > 0 && layer.weight.cols() != layers_[i - 1].weight.rows()) {
      invalid_argument(where + "weight shape " + shape(layer.weight.rows(), layer.weight.cols()) +
                       " expects " + std::to_string(layer.weight.cols()) + " inputs but layer " +
                       std::to_string(i - 1) + " has " + std::to_string(layers_[i - 1].weight.rows()) +
                       " outputs");
    }
    if (layer.bias.size() != 0 && layer.bias.size() != layer.weight.rows()) {
      invalid_argument(where + "bias length " + std::to_string(layer.bias.size()) +
                       " does not match " + std::to_string(layer.weight.rows()) + " outputs");
    }
    max_width_ = std::max(max_width_, static_cast<int>(layer.weight.rows()));
    if (kernel_version_ >= 3) {
      Packed p;
      const Eigen::Index out = layer.weight.rows(), in = layer.weight.cols();
      for (Eigen::Index o0 = 0; o0 < out; o0 += kPanel) {
        const Eigen::Index width = std::min<Eigen::Index>(kPanel, out - o0);
        const Eigen::Index ld = kernels::padded(width);
        const size_t at = p.wt.size();
        p.wt.resize(at + static_cast<size_t>(in * ld), 0.0f);
        for (Eigen::Index k = 0; k < in; ++k) {
          for (Eigen::Index o = 0; o < width; ++o) p.wt[at + static_cast<size_t>(k * ld + o)] = layer.weight(o0 + o, k);
        }
      }
      if (layer.bias.size() != 0) {
        p.bias.assign(static_cast<size_t>(kernels::padded(out)), 0.0f);
        std::copy_n(layer.bias.data(), out, p.bias.begin());
      }
      packed_.push_back(std::move(p));
      transposed_.emplace_back();
      continue;
    }
    transposed_.push_back(layer.weight.rows() <= kDotProductMaxOutputs ? Eigen::MatrixXf(layer.weight.transpose())
                                                                        : Eigen::MatrixXf());
  }
  input_size_ = static_cast<int>(layers_.front().weight.cols());
  output_size_ = static_cast<int>(layers_.back().weight.rows());
}

int64_t Mlp::parameter_count() const {
  int64_t n = 0;
  for (const DenseLayer& layer : layers_) n += layer.weight.size() + layer.bias.size();
  return n;
}

Scratch Mlp::make_scratch() const {
  Scratch scratch;
  scratch.front.resize(max_width_);
  scratch.back.resize(max_width_);
  return scratch;
}

void Mlp::forward(std::span<const float> input, std::span<float> output, Scratch& scratch) const {
  if (input.size() != static_cast<size_t>(input_size_)) {
    invalid_argument("mlp forward: input has " + std::to_string(input.size()) + " values, expected " +
                     std::to_string(input_size_));
  }
  if (output.size() != static_cast<size_t>(output_size_)) {
    invalid_argument("mlp forward: output has " + std::to_string(output.size()) +
                     " values, expected " + std::to_string(output_size_));
  }
  if (scratch.front.size() < max_width_) scratch.front.resize(max_width_);
  if (scratch.back.size() < max_width_) scratch.back.resize(max_width_);

  if (kernel_version_ >= 3) {
    const float* in = input.data();
    for (size_t i = 0; i < layers_.size(); ++i) {
      const DenseLayer& layer = layers_[i];
      const Packed& p = packed_[i];
      Eigen::VectorXf& dst = (i % 2 == 0) ? scratch.front : scratch.back;
      const int64_t n_in = layer.weight.cols(), out = layer.weight.rows();
      const float* wt = p.wt.data();
      for (int64_t o0 = 0; o0 < out; o0 += kPanel) {
        const int64_t width = std::min(kPanel, out - o0), ld = kernels::padded(width);
        kernels::gemv(in, n_in, wt, ld, width, p.bias.empty() ? nullptr : p.bias.data() + o0, dst.data() + o0);
        wt += n_in * ld;
      }
      apply_activation(layer.activation, dst.head(layer.weight.rows()));
      in = dst.data();
    }
    std::copy_n(in, output_size_, output.data());
    return;
  }

  const Eigen::Map<const Eigen::VectorXf> x(input.data(), input_size_);
  Eigen::VectorXf* src = nullptr;  // null while the layer reads the caller's input
  for (size_t i = 0; i < layers_.size(); ++i) {
    const DenseLayer& layer = layers_[i];
    Eigen::VectorXf& dst = (i % 2 == 0) ? scratch.front : scratch.back;
    auto y = dst.head(layer.weight.rows());
    const Eigen::Map<const Eigen::VectorXf> in =
        src == nullptr ? x : Eigen::Map<const Eigen::VectorXf>(src->data(), layer.weight.cols());
    const Eigen::MatrixXf& transposed = transposed_[i];
    if (transposed.size() != 0) {
      for (Eigen::Index r = 0; r < y.size(); ++r) y(r) = transposed.col(r).dot(in);
    } else {
      // noalias() lets Eigen's GEMV write straight into the scratch buffer with no temporary.
      y.noalias() = layer.weight * in;
    }
    if (layer.bias.size() != 0) y += layer.bias;
    apply_activation(layer.activation, y);
    src = &dst;
  }
  std::copy_n(src->data(), output_size_, output.data());
}

}  // namespace seedline::nn
