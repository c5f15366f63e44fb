// Noise v1: the block paths agree with the one-element path bit for bit, the values are
// N(0, 1) by the usual moments and a KS test, streams of neighbouring seeds and tensors are
// uncorrelated, and golden checksums pin the algorithm forever.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "golden/golden_values.hpp"
#include "noise/block_paths.hpp"
#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::noise {
namespace {

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }

TEST(Noise, BlockPathsMatchTheScalarPathBitForBit) {
  const uint64_t seeds[] = {0, 1, 0xfffffffffffffffeULL, 0x123456789abcdefULL};
  const uint32_t tensors[] = {0, 1, 7, 0xffffffffu};
  const uint64_t firsts[] = {0, 1, 2, 3, 5, 255, 256, 257, 1021, (uint64_t{1} << 32) - 3, (uint64_t{1} << 62) + 1};
  const size_t lengths[] = {0, 1, 2, 3, 7, 255, 256, 257, 1000};
  for (const uint64_t seed : seeds) {
    for (const uint32_t tensor : tensors) {
      for (const uint64_t first : firsts) {
        for (const size_t n : lengths) {
          SCOPED_TRACE("seed " + std::to_string(seed) + " tensor " + std::to_string(tensor) + " first " +
                       std::to_string(first) + " n " + std::to_string(n));
          std::vector<float> out(n, -7.0f);
          fill_v1(seed, tensor, first, out);
          std::vector<float> acc(n), expected(n);
          for (size_t i = 0; i < n; ++i) {
            acc[i] = 0.25f + static_cast<float>(i) * 0.5f;
            const float e = eps_v1(seed, tensor, first + i);
            ASSERT_EQ(bits(out[i]), bits(e)) << "element " << first + i;
            const float step = 0.03125f * 1.1f * e;
            expected[i] = acc[i] + step;
          }
          add_scaled_v1(seed, tensor, first, 0.03125f * 1.1f, acc);
          for (size_t i = 0; i < n; ++i) ASSERT_EQ(bits(acc[i]), bits(expected[i])) << "element " << first + i;
        }
      }
    }
  }
}

// Every SIMD path of the block functions that this CPU can run (SSE2 always; AVX2 and
// AVX-512F where present) gives eps_v1's bits.
TEST(Noise, EverySimdPathMatchesTheScalarPath) {
  struct Path {
    const char* name;
    BlockPath path;
  };
  const Path paths[] = {{"sse2", BlockPath::kSse2}, {"avx2", BlockPath::kAvx2}, {"avx512f", BlockPath::kAvx512}};
  EXPECT_TRUE(block_path_supported(BlockPath::kSse2));
  int tested = 0;
  for (const auto& p : paths) {
    if (!block_path_supported(p.path)) {
      std::printf("[ INFO     ] this CPU cannot run the %s path\n", p.name);
      continue;
    }
    ++tested;
    SCOPED_TRACE(p.name);
    for (const uint64_t first : {uint64_t{0}, uint64_t{3}, uint64_t{255}, uint64_t{257}, (uint64_t{1} << 33) + 1}) {
      for (const size_t n : {size_t{1}, size_t{5}, size_t{256}, size_t{1001}}) {
        std::vector<float> out(n);
        fill_v1_with(p.path, 0xabcdef0123ULL, 9, first, out);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(bits(out[i]), bits(eps_v1(0xabcdef0123ULL, 9, first + i))) << "first " << first << " i " << i;
        }
        // The update p + scale * eps, compiled for the path: scale * eps rounded, then added.
        std::vector<float> p0(n), p1(n);
        for (size_t i = 0; i < n; ++i) p0[i] = p1[i] = 0.5f - static_cast<float>(i % 7) * 0.125f;
        add_scaled_v1_with(p.path, 0xabcdef0123ULL, 9, first, 0.01f, p1);
        for (size_t i = 0; i < n; ++i) {
          const float step = 0.01f * eps_v1(0xabcdef0123ULL, 9, first + i);
          ASSERT_EQ(bits(p1[i]), bits(p0[i] + step)) << "add_scaled first " << first << " i " << i;
        }
      }
    }
  }
  EXPECT_GE(tested, 1);
  EXPECT_TRUE(block_path_supported(block_path()));
}

TEST(Noise, EveryCoordinateMatters) {
  const float base = eps_v1(42, 3, 1000);
  EXPECT_NE(bits(base), bits(eps_v1(43, 3, 1000)));
  EXPECT_NE(bits(base), bits(eps_v1(42 + (uint64_t{1} << 32), 3, 1000)));
  EXPECT_NE(bits(base), bits(eps_v1(42, 4, 1000)));
  EXPECT_NE(bits(base), bits(eps_v1(42, 3, 1001)));
  EXPECT_NE(bits(base), bits(eps_v1(42, 3, 1000 + (uint64_t{1} << 34))));
}

// Moments and KS distance of 10^7 values of one stream. Tolerances are 5 standard errors of
// each statistic under N(0, 1) (mean 1/sqrt(n), variance sqrt(2/n), skewness sqrt(6/n),
// excess kurtosis sqrt(24/n)); KS uses the 1% critical value 1.63/sqrt(n).
TEST(Noise, TenMillionValuesLookStandardNormal) {
  constexpr size_t n = 10'000'000;
  std::vector<float> v(n);
  fill_v1(20261125, 5, 0, v);
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  size_t beyond4 = 0;
  float max_abs = 0;
  for (const float x : v) {
    const double d = x;
    s1 += d;
    s2 += d * d;
    s3 += d * d * d;
    s4 += d * d * d * d;
    if (std::fabs(x) > 4.0f) ++beyond4;
    max_abs = std::max(max_abs, std::fabs(x));
  }
  const double mean = s1 / n;
  const double var = s2 / n - mean * mean;
  const double skew = (s3 / n - 3 * mean * var - mean * mean * mean) / std::pow(var, 1.5);
  const double kurt = (s4 / n) / (var * var) - 3.0;  // mean is ~0; its effect is far below tolerance
  const double rn = std::sqrt(static_cast<double>(n));
  EXPECT_LT(std::fabs(mean), 5.0 / rn) << mean;
  EXPECT_LT(std::fabs(var - 1.0), 5.0 * std::sqrt(2.0) / rn) << var;
  EXPECT_LT(std::fabs(skew), 5.0 * std::sqrt(6.0) / rn) << skew;
  EXPECT_LT(std::fabs(kurt), 5.0 * std::sqrt(24.0) / rn) << kurt;
  // Tails: P(|Z| > 4) = 6.334e-5, i.e. 633 expected, sd ~25; the transform caps |z| at 5.77.
  EXPECT_NEAR(static_cast<double>(beyond4), 633.4, 130.0);
  EXPECT_LE(max_abs, 5.7683f);

  std::sort(v.begin(), v.end());
  const boost::math::normal_distribution<double> normal;
  double d = 0;
  for (size_t i = 0; i < n; ++i) {
    const double f = boost::math::cdf(normal, static_cast<double>(v[i]));
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  EXPECT_LT(d, 1.63 / rn) << "KS distance";
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  const double n = static_cast<double>(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    sa += a[i];
    sb += b[i];
    saa += static_cast<double>(a[i]) * a[i];
    sbb += static_cast<double>(b[i]) * b[i];
    sab += static_cast<double>(a[i]) * b[i];
  }
  const double cov = sab / n - (sa / n) * (sb / n);
  return cov / std::sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
}

std::vector<float> stream(uint64_t seed, uint32_t tensor, uint64_t first, size_t n) {
  std::vector<float> v(n);
  fill_v1(seed, tensor, first, v);
  return v;
}

std::vector<float> squares(std::vector<float> v) {
  for (float& x : v) x = x * x;
  return v;
}

// |r| < 5/sqrt(n) for independent streams, also for their squares (dependence that leaves
// the linear correlation at zero, such as a shared radius in Box-Muller, shows up there).
TEST(Noise, NeighbouringSeedsTensorsAndElementsAreUncorrelated) {
  constexpr size_t n = 1'000'000;
  const double tol = 5.0 / std::sqrt(static_cast<double>(n));
  const auto base = stream(99, 2, 0, n);
  struct Case {
    const char* name;
    std::vector<float> other;
  };
  const Case cases[] = {
      {"seed + 1", stream(100, 2, 0, n)},
      {"seed + 2^32", stream(99 + (uint64_t{1} << 32), 2, 0, n)},
      {"tensor + 1", stream(99, 3, 0, n)},
      {"element + 1", stream(99, 2, 1, n)},
      {"element + 2", stream(99, 2, 2, n)},
      {"element + 4", stream(99, 2, 4, n)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_LT(std::fabs(correlation(base, c.other)), tol);
    EXPECT_LT(std::fabs(correlation(squares(base), squares(c.other))), tol);
  }
}

uint64_t xxh(const std::vector<float>& v) { return XXH64(v.data(), v.size() * sizeof(float), 0); }

// Golden values (tests/golden/golden_values.hpp says where they came from): they must NEVER
// change, every stored lineage of noise version 1 depends on these bits. A change to the
// algorithm is a new noise version, not an edit there. tests/golden/golden_check.cpp checks
// the same constants in an -O0 build.
TEST(Noise, GoldenChecksumsOfVersion1) {
  for (const auto& c : golden::kNoiseStreams) {
    SCOPED_TRACE("seed " + std::to_string(c.seed) + " tensor " + std::to_string(c.tensor));
    EXPECT_EQ(xxh(stream(c.seed, c.tensor, c.first, c.n)), c.xxh64)
        << std::hex << "0x" << xxh(stream(c.seed, c.tensor, c.first, c.n));
  }
  // A few single values, readable in a diff.
  for (const auto& v : golden::kNoiseValues) {
    EXPECT_EQ(bits(eps_v1(v.seed, v.tensor, v.element)), v.bits) << std::hex << bits(eps_v1(v.seed, v.tensor, v.element));
  }
}

TEST(Noise, GoldenChecksumsOfAddScaled) {
  for (const auto& c : golden::kAddScaled) {
    SCOPED_TRACE("seed " + std::to_string(c.seed) + " tensor " + std::to_string(c.tensor));
    std::vector<float> acc(c.n);
    for (size_t i = 0; i < c.n; ++i) acc[i] = golden::kAddScaledBase + golden::kAddScaledStep * static_cast<float>(i);
    add_scaled_v1(c.seed, c.tensor, c.first, c.scale, acc);
    EXPECT_EQ(xxh(acc), c.xxh64) << std::hex << "0x" << xxh(acc);
  }
}

TEST(Noise, UnknownVersionsAreRefused) {
  EXPECT_TRUE(supports(1));
  EXPECT_EQ(kNewestVersion, 1);
  for (const int v : {0, 2, -1, 1000}) {
    SCOPED_TRACE(v);
    EXPECT_FALSE(supports(v));
    try {
      require_supported(v);
      ADD_FAILURE() << "no throw";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnimplemented);
      EXPECT_EQ(std::string(e.what()),
                "noise version " + std::to_string(v) + " is not known to this seedline (it knows 1..1)");
    }
  }
  EXPECT_NO_THROW(require_supported(1));
}

}  // namespace
}  // namespace seedline::noise
