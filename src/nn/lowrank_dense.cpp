#include "nn/lowrank_dense.hpp"

#include <Eigen/Core>
#include <string>

#include "util/error.hpp"

namespace seedline::nn {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMajor>;
using Map = Eigen::Map<RowMajor>;

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
  const int64_t rows = shape.members * shape.batch;
  const ConstMap xm(x.data(), rows, shape.in);
  const ConstMap wm(w.data(), shape.out, shape.in);
  Map ym(y.data(), rows, shape.out);
  ym.noalias() = xm * wm.transpose();
  if (!bias.empty()) ym.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), shape.out);
}

void lowrank_forward(const DenseShape& shape, std::span<const float> x, std::span<const float> w,
                     std::span<const float> bias, const LowRankFactors& f, std::span<float> y) {
  check_shape(shape, x, w, bias, y);
  if (f.rank < 1) invalid_argument("lowrank forward: rank must be >= 1");
  const int64_t sets = f.antithetic ? (shape.members + 1) / 2 : shape.members;
  check_size("the factors A", f.a.size(), sets * shape.out * f.rank);
  check_size("the factors B", f.b.size(), sets * shape.in * f.rank);
  check_size("the scales", f.scale.size(), shape.members);
  dense_forward(shape, x, w, bias, y);
  RowMajor xb(shape.batch, f.rank);
  for (int64_t p = 0; p < shape.members; ++p) {
    const int64_t set = f.antithetic ? p / 2 : p;
    const ConstMap a(f.a.data() + set * shape.out * f.rank, shape.out, f.rank);
    const ConstMap b(f.b.data() + set * shape.in * f.rank, shape.in, f.rank);
    const ConstMap xp(x.data() + p * shape.batch * shape.in, shape.batch, shape.in);
    Map yp(y.data() + p * shape.batch * shape.out, shape.batch, shape.out);
    xb.noalias() = xp * b;
    xb *= f.scale[static_cast<size_t>(p)];
    yp.noalias() += xb * a.transpose();
  }
}

}  // namespace seedline::nn
