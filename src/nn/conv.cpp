#include "nn/conv.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <string>

#include "kernels/kernels.hpp"
#include "util/error.hpp"

namespace seedline::nn {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The output extent along one axis, or 0 when the kernel does not fit.
int64_t out_extent(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  const int64_t padded = in + 2 * pad;
  return padded < kernel ? 0 : (padded - kernel) / stride + 1;
}

// cols[(c*KH + u)*KW + v][i*OW + j] = x[c][i*SH - PH + u][j*SW - PW + v], 0 outside the image;
// rows `ld` floats apart, columns [OH*OW, ld) set to 0.
void im2col(const ConvGeometry& g, const float* x, float* cols, int64_t ld) {
  const int64_t n = g.out_h * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    const float* plane = x + c * g.height * g.width;
    for (int64_t u = 0; u < g.kernel_h; ++u) {
      for (int64_t v = 0; v < g.kernel_w; ++v) {
        float* row = cols + ((c * g.kernel_h + u) * g.kernel_w + v) * ld;
        std::fill(row + n, row + ld, 0.0f);
        // The output columns j whose input column j*SW - PW + v lies inside [0, W).
        const int64_t first_j = v >= g.pad_w ? 0 : (g.pad_w - v + g.stride_w - 1) / g.stride_w;
        const int64_t last_x = g.width - 1 + g.pad_w - v;  // j*SW <= last_x
        const int64_t end_j = last_x < 0 ? 0 : std::min(g.out_w, last_x / g.stride_w + 1);
        for (int64_t i = 0; i < g.out_h; ++i) {
          float* out = row + i * g.out_w;
          const int64_t iy = i * g.stride_h - g.pad_h + u;
          if (iy < 0 || iy >= g.height || first_j >= end_j) {
            std::fill(out, out + g.out_w, 0.0f);
            continue;
          }
          const float* in = plane + iy * g.width;
          const int64_t x0 = first_j * g.stride_w - g.pad_w + v;  // >= 0 by the choice of first_j
          std::fill(out, out + first_j, 0.0f);
          if (g.stride_w == 1) {
            std::copy(in + x0, in + x0 + (end_j - first_j), out + first_j);
          } else {
            for (int64_t j = first_j; j < end_j; ++j) out[j] = in[x0 + (j - first_j) * g.stride_w];
          }
          std::fill(out + end_j, out + g.out_w, 0.0f);
        }
      }
    }
  }
}

}  // namespace

ConvGeometry ConvGeometry::make(int64_t channels, int64_t height, int64_t width, int64_t out_channels,
                                int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                                int64_t pad_w) {
  ConvGeometry g{channels, height, width, out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, 0, 0};
  if (channels < 1 || height < 1 || width < 1 || out_channels < 1 || kernel_h < 1 || kernel_w < 1 ||
      stride_h < 1 || stride_w < 1 || pad_h < 0 || pad_w < 0) {
    invalid_argument("conv2d: every size and stride must be >= 1 and padding >= 0 (input " + std::to_string(channels) +
                     "x" + std::to_string(height) + "x" + std::to_string(width) + ", kernel " +
                     std::to_string(out_channels) + "x" + std::to_string(kernel_h) + "x" + std::to_string(kernel_w) +
                     ", stride " + std::to_string(stride_h) + "x" + std::to_string(stride_w) + ", padding " +
                     std::to_string(pad_h) + "x" + std::to_string(pad_w) + ")");
  }
  g.out_h = out_extent(height, kernel_h, stride_h, pad_h);
  g.out_w = out_extent(width, kernel_w, stride_w, pad_w);
  if (g.out_h < 1 || g.out_w < 1) {
    invalid_argument("conv2d: the " + std::to_string(kernel_h) + "x" + std::to_string(kernel_w) +
                     " kernel does not fit the " + std::to_string(height) + "x" + std::to_string(width) +
                     " input with padding " + std::to_string(pad_h) + "x" + std::to_string(pad_w));
  }
  return g;
}

int64_t ConvGeometry::cols_size(int kernel_version) const {
  const int64_t n = out_h * out_w;
  return patch_size() * (kernel_version >= 3 ? kernels::padded(n) : n);
}

void conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel, const float* bias,
                    Activation activation, float* y, float* cols, int kernel_version) {
  const Eigen::Index n = g.out_h * g.out_w;
  if (kernel_version >= 3) {
    const int64_t ld = kernels::padded(n);
    im2col(g, x, cols, ld);
    kernels::gemm_bias_rows(kernel, g.patch_size(), g.out_channels, g.patch_size(), cols, ld, n, bias, y, n);
    Eigen::Map<Eigen::VectorXf> flat(y, g.output_size());
    apply_activation(activation, flat);
    return;
  }
  im2col(g, x, cols, n);
  const Eigen::Map<const RowMajor> k(kernel, g.out_channels, g.patch_size());
  const Eigen::Map<const RowMajor> patches(cols, g.patch_size(), n);
  Eigen::Map<RowMajor> out(y, g.out_channels, n);
  out.noalias() = k * patches;
  if (bias != nullptr) out.colwise() += Eigen::Map<const Eigen::VectorXf>(bias, g.out_channels);
  Eigen::Map<Eigen::VectorXf> flat(y, g.output_size());
  apply_activation(activation, flat);
}

void conv2d_forward_reference(const ConvGeometry& g, const float* x, const float* kernel, const float* bias,
                              Activation activation, float* y) {
  for (int64_t o = 0; o < g.out_channels; ++o) {
    for (int64_t i = 0; i < g.out_h; ++i) {
      for (int64_t j = 0; j < g.out_w; ++j) {
        double sum = bias != nullptr ? bias[o] : 0.0;
        for (int64_t c = 0; c < g.channels; ++c) {
          for (int64_t u = 0; u < g.kernel_h; ++u) {
            const int64_t iy = i * g.stride_h - g.pad_h + u;
            if (iy < 0 || iy >= g.height) continue;
            for (int64_t v = 0; v < g.kernel_w; ++v) {
              const int64_t ix = j * g.stride_w - g.pad_w + v;
              if (ix < 0 || ix >= g.width) continue;
              sum += static_cast<double>(kernel[((o * g.channels + c) * g.kernel_h + u) * g.kernel_w + v]) *
                     x[(c * g.height + iy) * g.width + ix];
            }
          }
        }
        y[(o * g.out_h + i) * g.out_w + j] = static_cast<float>(sum);
      }
    }
  }
  Eigen::Map<Eigen::VectorXf> flat(y, g.output_size());
  apply_activation(activation, flat);
}

}  // namespace seedline::nn
