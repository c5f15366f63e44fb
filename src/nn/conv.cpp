#include "nn/conv.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

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

// n floats from `from` to `to` in 16-byte moves (inlined; a library memmove call per short
// row costs more than the row).
inline void copy_floats(const float* from, float* to, int64_t n) {
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) std::memcpy(to + k, from + k, 4 * sizeof(float));
  for (; k < n; ++k) to[k] = from[k];
}

// The SW phases of each zero-padded row of a (h x w) plane: phases[(q*h + y)*span + m] =
// P[y][q + m*SW], P[y][p] = plane[y][p - pad] inside the row, else 0.
void split_phases(const float* plane, int64_t h, int64_t w, int64_t sw, int64_t pad, int64_t span, float* phases) {
  for (int64_t y = 0; y < h; ++y) {
    const float* in = plane + y * w;
    for (int64_t q = 0; q < sw; ++q) {
      float* phase = phases + (q * h + y) * span;
      for (int64_t m = 0; m < span; ++m) {
        const int64_t col = q + m * sw - pad;
        phase[m] = col >= 0 && col < w ? in[col] : 0.0f;
      }
    }
  }
}

// cols[(c*KH + u)*KW + v][i*OW + j] = x[c][i*SH - PH + u][j*SW - PW + v], 0 outside the image;
// rows `ld` floats apart, columns [OH*OW, ld) set to 0. Only copies: how it gathers changes no
// value. Each channel's zero-padded rows P (P[y][p] = x[c][y][p - PW]) are first split into
// their SW phases (phase q of row y: P[y][q], P[y][q + SW], ...), so every row segment of cols
// is one contiguous copy: output column j of kernel column v reads P[iy][j*SW + v], entry
// j + v / SW of phase v % SW. With SW = 1 and no padding the phase is the row itself.
void im2col(const ConvGeometry& g, const float* x, float* cols, int64_t ld) {
  const int64_t n = g.out_h * g.out_w;
  const int64_t sw = g.stride_w, ow = g.out_w, h = g.height, w = g.width;
  const bool direct = sw == 1 && g.pad_w == 0;
  const int64_t span = direct ? w : (w + 2 * g.pad_w + sw - 1) / sw;  // entries per phase row
  std::vector<float> phases(direct ? 0 : static_cast<size_t>(sw * h * span));
  for (int64_t c = 0; c < g.channels; ++c) {
    const float* plane = x + c * h * w;
    if (!direct) split_phases(plane, h, w, sw, g.pad_w, span, phases.data());
    for (int64_t u = 0; u < g.kernel_h; ++u) {
      for (int64_t v = 0; v < g.kernel_w; ++v) {
        float* row = cols + ((c * g.kernel_h + u) * g.kernel_w + v) * ld;
        std::fill(row + n, row + ld, 0.0f);
        const float* source = direct ? plane + v : phases.data() + (v % sw) * h * span + v / sw;
        for (int64_t i = 0; i < g.out_h; ++i) {
          const int64_t iy = i * g.stride_h - g.pad_h + u;
          if (iy < 0 || iy >= h) {
            std::fill(row + i * ow, row + (i + 1) * ow, 0.0f);
          } else {
            copy_floats(source + iy * span, row + i * ow, ow);
          }
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

std::optional<GatheredConv> GatheredConv::prepare(const ConvGeometry& g, const float* kernel, const float* bias) {
  if (g.pad_h != 0 || g.pad_w != 0 || g.input_size() >= (int64_t{1} << 31)) return std::nullopt;
  GatheredConv p;
  const int64_t K = g.patch_size(), O = g.out_channels;
  p.ldw = kernels::padded(O);
  p.kernel_t.assign(static_cast<size_t>(K * p.ldw), 0.0f);
  for (int64_t o = 0; o < O; ++o) {
    for (int64_t kk = 0; kk < K; ++kk) p.kernel_t[static_cast<size_t>(kk * p.ldw + o)] = kernel[o * K + kk];
  }
  if (bias != nullptr) {
    p.bias.assign(static_cast<size_t>(p.ldw), 0.0f);
    std::copy(bias, bias + O, p.bias.begin());
  }
  p.koff.reserve(static_cast<size_t>(K));
  for (int64_t c = 0; c < g.channels; ++c) {
    for (int64_t u = 0; u < g.kernel_h; ++u) {
      for (int64_t v = 0; v < g.kernel_w; ++v) p.koff.push_back(static_cast<int32_t>((c * g.height + u) * g.width + v));
    }
  }
  p.pos.reserve(static_cast<size_t>(g.out_h * g.out_w));
  for (int64_t i = 0; i < g.out_h; ++i) {
    for (int64_t j = 0; j < g.out_w; ++j) p.pos.push_back(i * g.stride_h * g.width + j * g.stride_w);
  }
  return p;
}

void conv2d_forward_gathered(const ConvGeometry& g, const GatheredConv& p, const float* x, Activation activation,
                             float* y, float* scratch) {
  const int64_t n = g.out_h * g.out_w, O = g.out_channels;
  kernels::conv_gather(x, p.pos.data(), n, p.koff.data(), g.patch_size(), p.kernel_t.data(), p.ldw, O,
                       p.bias.empty() ? nullptr : p.bias.data(), scratch, p.ldw);
  for (int64_t o = 0; o < O; ++o) {
    for (int64_t q = 0; q < n; ++q) y[o * n + q] = scratch[q * p.ldw + o];
  }
  Eigen::Map<Eigen::VectorXf> flat(y, g.output_size());
  apply_activation(activation, flat);
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
