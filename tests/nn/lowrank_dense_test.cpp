// nn::lowrank_forward (EGGROLL) against the forward of the explicitly perturbed matrix
// W + scale_p A_p B_p^T, computed in double: agreement to 1e-5 relative to the output scale.
#include "nn/lowrank_dense.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/dispatch.hpp"
#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::nn {
namespace {

std::vector<float> gaussian(uint64_t seed, size_t n, float scale) {
  std::vector<float> v(n);
  noise::fill_v1(seed, 0, 0, v);
  for (float& x : v) x *= scale;
  return v;
}

struct Shape {
  int64_t members, batch, in, out, rank;
  bool antithetic, bias;
};

class LowRankForward : public ::testing::TestWithParam<Shape> {};

TEST_P(LowRankForward, EqualsTheExplicitlyPerturbedMatrix) {
  const Shape s = GetParam();
  const DenseShape shape{s.members, s.batch, s.in, s.out};
  const int64_t sets = s.antithetic ? (s.members + 1) / 2 : s.members;
  const auto x = gaussian(1, static_cast<size_t>(s.members * s.batch * s.in), 1.0f);
  const auto w = gaussian(2, static_cast<size_t>(s.out * s.in), 1.0f / std::sqrt(static_cast<float>(s.in)));
  const auto bias = s.bias ? gaussian(3, static_cast<size_t>(s.out), 0.1f) : std::vector<float>{};
  const auto a = gaussian(4, static_cast<size_t>(sets * s.out * s.rank), 1.0f);
  const auto b = gaussian(5, static_cast<size_t>(sets * s.in * s.rank), 1.0f);
  std::vector<float> scale;
  for (int64_t p = 0; p < s.members; ++p) {
    scale.push_back((s.antithetic && p % 2 ? -0.05f : 0.05f) * (1.0f + static_cast<float>(p) / 8));
  }
  std::vector<float> y(static_cast<size_t>(s.members * s.batch * s.out));
  lowrank_forward(shape, x, w, bias, {s.rank, s.antithetic, a, b, scale}, y);

  double max_ref = 0, max_err = 0;
  for (int64_t p = 0; p < s.members; ++p) {
    const int64_t set = s.antithetic ? p / 2 : p;
    for (int64_t row = 0; row < s.batch; ++row) {
      for (int64_t j = 0; j < s.out; ++j) {
        double ref = s.bias ? bias[static_cast<size_t>(j)] : 0.0;
        for (int64_t k = 0; k < s.in; ++k) {
          double wjk = w[static_cast<size_t>(j * s.in + k)];
          double ab = 0;
          for (int64_t t = 0; t < s.rank; ++t) {
            ab += static_cast<double>(a[static_cast<size_t>((set * s.out + j) * s.rank + t)]) *
                  b[static_cast<size_t>((set * s.in + k) * s.rank + t)];
          }
          wjk += scale[static_cast<size_t>(p)] * ab;
          ref += wjk * x[static_cast<size_t>((p * s.batch + row) * s.in + k)];
        }
        const double got = y[static_cast<size_t>((p * s.batch + row) * s.out + j)];
        max_ref = std::max(max_ref, std::fabs(ref));
        max_err = std::max(max_err, std::fabs(got - ref));
      }
    }
  }
  EXPECT_LE(max_err, 1e-5 * max_ref) << "max error " << max_err << " of output scale " << max_ref;
}

INSTANTIATE_TEST_SUITE_P(Shapes, LowRankForward,
                         ::testing::Values(Shape{4, 3, 16, 8, 1, true, true}, Shape{5, 2, 33, 17, 4, false, true},
                                           Shape{6, 8, 128, 64, 2, true, false}, Shape{1, 1, 1, 1, 1, false, false}));

TEST(LowRankForward, DenseForwardIsXTimesWTransposed) {
  // 2 rows of 3 inputs, W 2x3 row-major: y = x W^T + bias, by hand.
  const std::vector<float> x{1, 2, 3, -1, 0, 1}, w{1, 0, 2, 0, 1, -1}, bias{0.5f, -0.5f};
  std::vector<float> y(4);
  dense_forward({2, 1, 3, 2}, x, w, bias, y);
  EXPECT_THAT(y, ::testing::ElementsAre(7.5f, -1.5f, 1.5f, -1.5f));
}

// The forwards run on the fixed-order kernels: the same bits on every path this CPU runs.
TEST(LowRankForward, TheSameBitsOnEveryKernelPath) {
  const DenseShape shape{4, 3, 300, 37};
  const auto x = gaussian(1, 4 * 3 * 300, 1.0f);
  const auto w = gaussian(2, 37 * 300, 0.05f);
  const auto bias = gaussian(3, 37, 0.1f);
  const auto a = gaussian(4, 2 * 37 * 2, 1.0f);
  const auto b = gaussian(5, 2 * 300 * 2, 1.0f);
  const std::vector<float> scale{0.05f, -0.05f, 0.07f, -0.07f};
  const kernels::Path saved = kernels::active_path();
  std::vector<std::vector<float>> dense, lowrank;
  for (const kernels::Path p : kernels::supported_paths()) {
    kernels::set_path(p);
    dense.emplace_back(4 * 3 * 37);
    lowrank.emplace_back(4 * 3 * 37);
    dense_forward(shape, x, w, bias, dense.back());
    lowrank_forward(shape, x, w, bias, {2, true, a, b, scale}, lowrank.back());
  }
  kernels::set_path(saved);
  for (size_t i = 1; i < dense.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(dense[i].data(), dense[0].data(), dense[0].size() * sizeof(float))) << "path " << i;
    EXPECT_EQ(0, std::memcmp(lowrank[i].data(), lowrank[0].data(), lowrank[0].size() * sizeof(float)))
        << "path " << i;
  }
  EXPECT_NE(dense[0], lowrank[0]);  // the perturbation changed the outputs
}

TEST(LowRankForward, WrongSizesAreErrors) {
  std::vector<float> x(6), w(6), y(4), a(4), b(6), scale(2);
  try {
    lowrank_forward({2, 1, 3, 2}, x, w, {}, {1, false, a, std::span<const float>(b).first(5), scale}, y);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("factors B"));
  }
}

}  // namespace
}  // namespace seedline::nn
