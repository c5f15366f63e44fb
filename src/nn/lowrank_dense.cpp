#include "nn/lowrank_dense.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "util/error.hpp"

namespace seedline::nn {
namespace {

// A matrix M (rows x cols, row-major) as kernels::gemm's weight operand: M transposed,
// (cols x padded_stride(rows)), zeros in the padding columns.
struct Transposed {
  std::vector<float> data;
  int64_t ld = 0;
};

void transpose_padded(const float* m, int64_t rows, int64_t cols, Transposed& t) {
  t.ld = kernels::padded_stride(rows);
  t.data.assign(static_cast<size_t>(cols * t.ld), 0.0f);
  constexpr int64_t kTile = 32;  // tiles keep both sides of the copy in cache
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = r0 + kTile < rows ? r0 + kTile : rows;
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t c1 = c0 + kTile < cols ? c0 + kTile : cols;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) t.data[static_cast<size_t>(c * t.ld + r)] = m[r * cols + c];
      }
    }
  }
}

// A matrix already in "k x outputs" form (rows x cols, row-major) with its columns padded.
void pad_columns(const float* m, int64_t rows, int64_t cols, Transposed& t) {
  t.ld = kernels::padded(cols);
  t.data.assign(static_cast<size_t>(rows * t.ld), 0.0f);
  for (int64_t r = 0; r < rows; ++r) std::copy(m + r * cols, m + (r + 1) * cols, t.data.begin() + r * t.ld);
}

// A row vector of n values padded to the matrix it biases.
void pad_bias(std::span<const float> bias, int64_t ld, std::vector<float>& out) {
  out.assign(static_cast<size_t>(ld), 0.0f);
  std::copy(bias.begin(), bias.end(), out.begin());
}

// Per thread, reused across calls (a 4096 x 4096 weight is 64 MB).
struct Buffers {
  Transposed w, a, b;
  std::vector<float> bias, xb;
};
thread_local Buffers tl_buffers;

void check_size(const char* what, size_t got, int64_t expected) {
  if (expected < 0 || got != static_cast<size_t>(expected)) {
    invalid_argument(std::string("dense forward: ") + what + " has " + std::to_string(got) + " values; expected " +
                     std::to_string(expected));
  }
}

void check_shape(const DenseShape& s, std::span<const float> x, std::span<const float> w,
                 std::span<const float> bias, std::span<float> y) {
  if (s.members < 1 || s.batch < 1 || s.in < 1 || s.out < 1) {
    invalid_argument("dense forward: members, batch, in and out must be >= 1");
  }
  check_size("x", x.size(), s.members * s.batch * s.in);
  check_size("w", w.size(), s.out * s.in);
  if (!bias.empty()) check_size("bias", bias.size(), s.out);
  check_size("y", y.size(), s.members * s.batch * s.out);
}

}  // namespace

void dense_forward(const DenseShape& shape, std::span<const float> x, std::span<const float> w,
                   std::span<const float> bias, std::span<float> y) {
  check_shape(shape, x, w, bias, y);
  Buffers& buf = tl_buffers;
  transpose_padded(w.data(), shape.out, shape.in, buf.w);
  if (!bias.empty()) pad_bias(bias, buf.w.ld, buf.bias);
  kernels::gemm(x.data(), shape.in, shape.members * shape.batch, shape.in, buf.w.data.data(), buf.w.ld, shape.out,
                bias.empty() ? nullptr : buf.bias.data(), y.data(), shape.out);
}

void lowrank_forward(const DenseShape& shape, std::span<const float> x, std::span<const float> w,
                     std::span<const float> bias, const LowRankFactors& f, std::span<float> y) {
  check_shape(shape, x, w, bias, y);
  if (f.rank < 1) invalid_argument("lowrank forward: rank must be >= 1");
  const int64_t sets = f.antithetic ? (shape.members + 1) / 2 : shape.members;
  check_size("the factors A", f.a.size(), sets * shape.out * f.rank);
  check_size("the factors B", f.b.size(), sets * shape.in * f.rank);
  check_size("the scales", f.scale.size(), shape.members);
  Buffers& buf = tl_buffers;
  transpose_padded(w.data(), shape.out, shape.in, buf.w);
  if (!bias.empty()) pad_bias(bias, buf.w.ld, buf.bias);
  const int64_t r = f.rank, Bt = shape.batch, n = shape.in, m = shape.out;
  buf.xb.resize(static_cast<size_t>(Bt * r));
  // The shared product first, over every member's rows at once (large row panels reuse each
  // block of W the most); each member's correction then continues its rows' chains.
  kernels::gemm(x.data(), n, shape.members * Bt, n, buf.w.data.data(), buf.w.ld, m,
                bias.empty() ? nullptr : buf.bias.data(), y.data(), m);
  int64_t packed_set = -1;
  for (int64_t p = 0; p < shape.members; ++p) {
    const int64_t set = f.antithetic ? p / 2 : p;
    const float* xp = x.data() + p * Bt * n;
    float* yp = y.data() + p * Bt * m;
    if (set != packed_set) {  // an antithetic pair shares its factors: pack them once
      // B (n x r) already has gemm's "k x outputs" form; A (m x r) is transposed.
      pad_columns(f.b.data() + set * n * r, n, r, buf.b);
      transpose_padded(f.a.data() + set * m * r, m, r, buf.a);
      packed_set = set;
    }
    kernels::gemm(xp, n, Bt, n, buf.b.data.data(), buf.b.ld, r, nullptr, buf.xb.data(), r);
    const float s = f.scale[static_cast<size_t>(p)];
    for (float& v : buf.xb) v *= s;
    // The rank-r correction continues each output's fma chain: y_p += (s X_p B_p) A_p^T.
    kernels::gemm_accumulate(buf.xb.data(), r, Bt, r, buf.a.data.data(), buf.a.ld, m, yp, m);
  }
}

}  // namespace seedline::nn
