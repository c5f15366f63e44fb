// The 2-D convolution of the pixel networks (docs/networks.md): one plain forward function
// over caller-owned buffers, in the layout PyTorch's conv2d uses.
//
// Shapes, in a fixed vocabulary: C input channels, H x W input size, O output channels,
// KH x KW kernel, SH/SW strides, PH/PW zero padding per side, OH x OW output size with
// OH = (H + 2 PH - KH) / SH + 1 (integer division) and likewise OW. Tensors are row-major:
//   x      (C, H, W)
//   kernel (O, C, KH, KW)       the genome's conv weight tensor, as developed
//   bias   (O) or null
//   y      (O, OH, OW)
//   cols   (C*KH*KW, OH*OW)     scratch: the input patches (im2col); at kernel version 3 each
//                               row padded to kernels::padded(OH*OW) columns
// y[o, i, j] = bias[o] + sum over c, u, v of kernel[o, c, u, v] * x[c, i*SH - PH + u, j*SW - PW + v]
// (x read as 0 outside the image), then the activation. Computed as im2col (exact copies) and
// one GEMM (kernel viewed as an O x C*KH*KW matrix, times cols). Kernel versions
// (docs/kernels.md): at 1 and 2 the GEMM is Eigen's and the bias is added after it; at 3 it is
// kernels::gemm_bias_rows: each output is bias[o] then fma over the rows of cols (c, then u,
// then v) in order, vectorized across output positions, the same bits on every instruction path.
//
// Stateless: safe from any thread as long as each thread passes its own buffers.
// Failure: ConvGeometry::make throws seedline::Error(kInvalidArgument) naming the bad value
// (a dimension < 1, a kernel larger than the padded input); conv2d_forward does not check
// its raw pointers (the caller sizes them with the geometry) and cannot fail.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nn/activation.hpp"

namespace seedline::nn {

struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;  // C, H, W
  int64_t out_channels = 0;                     // O
  int64_t kernel_h = 0, kernel_w = 0;           // KH, KW
  int64_t stride_h = 1, stride_w = 1;           // SH, SW
  int64_t pad_h = 0, pad_w = 0;                 // PH, PW
  int64_t out_h = 0, out_w = 0;                 // OH, OW (computed by make)

  // Validates and fills out_h/out_w.
  static ConvGeometry make(int64_t channels, int64_t height, int64_t width, int64_t out_channels, int64_t kernel_h,
                           int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w);

  int64_t input_size() const { return channels * height * width; }
  int64_t output_size() const { return out_channels * out_h * out_w; }
  int64_t patch_size() const { return channels * kernel_h * kernel_w; }   // rows of cols
  // The cols scratch conv2d_forward needs at this kernel version.
  int64_t cols_size(int kernel_version = 1) const;
  int64_t kernel_size() const { return out_channels * patch_size(); }
};

// y = act(conv2d(x, kernel) + bias); see the header comment for shapes. `cols` must hold
// g.cols_size(kernel_version) floats; x, y and cols must not overlap. kernel_version must be
// one this binary knows (the caller's contract: nn::ConvNet checks it at construction).
void conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel, const float* bias,
                    Activation activation, float* y, float* cols, int kernel_version = 1);

// A layer without padding at kernel version 3, prepared once for conv2d_forward_gathered:
// the kernel transposed to (C*KH*KW) x ldw and the bias padded (kernels::gemm's layouts), and
// the offsets of its implicit im2col: patch entry kk = (c, u, v) at c*H*W + u*W + v of x,
// output position p = i*OW + j at i*SH*W + j*SW.
struct GatheredConv {
  int64_t ldw = 0;
  std::vector<float> kernel_t;
  std::vector<float> bias;  // ldw values, or empty for no bias
  std::vector<int32_t> koff;
  std::vector<int64_t> pos;
  // nullopt where the gathered form does not apply (padding, or x too large for 32-bit offsets).
  static std::optional<GatheredConv> prepare(const ConvGeometry& g, const float* kernel, const float* bias);
  // Floats of scratch conv2d_forward_gathered needs: OH*OW*ldw.
  int64_t scratch_size(const ConvGeometry& g) const { return g.out_h * g.out_w * ldw; }
};

// conv2d_forward at kernel version 3 for a prepared layer, with the same bits: the GEMM gathers
// each patch entry from x itself (kernels::conv_gather) instead of reading an im2col copy,
// into scratch as (OH*OW) x ldw, then transposes it into y (O, OH, OW) and applies the
// activation. scratch holds p.scratch_size(g) floats and overlaps neither x nor y.
void conv2d_forward_gathered(const ConvGeometry& g, const GatheredConv& p, const float* x, Activation activation,
                             float* y, float* scratch);

// The same computed directly from the definition, loop by loop: the reference the GEMM
// path is tested against (slow; for tests and benchmarks).
void conv2d_forward_reference(const ConvGeometry& g, const float* x, const float* kernel, const float* bias,
                              Activation activation, float* y);

}  // namespace seedline::nn
