// Noise v1: Philox4x32-10 counters turned into N(0, 1) float32 by a Box-Muller transform
// written here with float32 polynomials, so every bit is fixed by IEEE-754 single precision
// (+, -, *, / and sqrt are correctly rounded; nothing else is used). docs/genome.md states
// the algorithm; tests/noise/ pins it.
//
// Layout: element e of (seed, tensor) belongs to Philox group e / 4, counter
// {lo32(e/4), hi32(e/4), tensor, 0} under key {lo32(seed), hi32(seed)}. The group's four
// words (x0, x1, x2, x3) make two Box-Muller pairs: (x0, x1) gives elements 4j (cos) and
// 4j+1 (sin), (x2, x3) gives 4j+2 and 4j+3.
//
// eps_v1 runs Random123's philox4x32_R on one counter. The block functions run the same
// rounds on vectors of counters with SSE2, AVX2 or AVX-512F intrinsics (chosen by the CPU at
// start-up) and a branch-free transform that g++ vectorizes; they share gaussian_pair() with
// eps_v1, and a test checks every path against eps_v1 bit for bit.
#include "noise/noise.hpp"
#include "noise/block_paths.hpp"

#include <Random123/philox.h>
#include <immintrin.h>

#include <bit>
#include <cstring>
#include <string>

#include "util/error.hpp"

namespace seedline::noise {
namespace {

// ln 2 split so that k * kLn2Hi is exact for |k| <= 2^8 (Cody-Waite).
constexpr float kLn2Hi = 0.693145751953125f;      // 0x3F317200
constexpr float kLn2Lo = 1.428606765330187e-06f;  // ln 2 - kLn2Hi
constexpr float kPiOver4 = 0.785398163397448309616f;

// Branch-free choice (so the block loops vectorize): mask all ones picks a, zero picks b.
inline float select(uint32_t mask, float a, float b) {
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & mask) | (std::bit_cast<uint32_t>(b) & ~mask));
}

// Natural log of x * 2^-24 for an integer x in [1, 2^24] (so the result is in
// [-16.64, 0]). x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m-1)/(m+1),
// |s| <= 0.1716, by its odd series up to s^11 (truncation error < 2e-9 relative).
inline float log_u24(uint32_t x) {
  const float fx = static_cast<float>(static_cast<int32_t>(x));  // exact: x <= 2^24
  const uint32_t bits = std::bit_cast<uint32_t>(fx);
  int32_t e = static_cast<int32_t>(bits >> 23) - 127;
  uint32_t mbits = (bits & 0x007FFFFFu) | 0x3F800000u;  // m in [1, 2)
  // m >= sqrt(2) (0x3FB504F3 is the float just below sqrt 2): halve m, bump the exponent.
  const uint32_t big = (0x3FB504F3u - mbits) >> 31;  // 1 when mbits > 0x3FB504F3 (both < 2^31)
  mbits -= big << 23;
  e += static_cast<int32_t>(big);
  const float m = std::bit_cast<float>(mbits);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float p = 2.0f / 11.0f;
  p = p * s2 + 2.0f / 9.0f;
  p = p * s2 + 2.0f / 7.0f;
  p = p * s2 + 2.0f / 5.0f;
  p = p * s2 + 2.0f / 3.0f;
  p = p * s2 + 2.0f;
  const float ln_m = s * p;
  const float k = static_cast<float>(e - 24);
  return k * kLn2Hi + (k * kLn2Lo + ln_m);
}

// Two N(0, 1) values from two 32-bit words (Box-Muller):
//   u1 = ((a >> 8) + 1) / 2^24 in (0, 1], r = sqrt(-2 ln u1)   (|z| <= 5.768)
//   angle = 2 pi * (b >> 8) / 2^24: octant o = b >> 29, fraction f = ((b >> 8) & 0x1FFFFF) / 2^21;
//   theta = (o odd ? 1 - f : f) * pi/4 in [0, pi/4]; sin/cos of theta by Taylor polynomials
//   (to theta^9 and theta^10), then the octant's swap and signs.
//   z_cos = r * cos(angle), z_sin = r * sin(angle).
inline void gaussian_pair(uint32_t a, uint32_t b, float& z_cos, float& z_sin) {
  const float t = -2.0f * log_u24((a >> 8) + 1u);
  const float r = __builtin_sqrtf(t);

  const uint32_t o = b >> 29;
  const float f = static_cast<float>(static_cast<int32_t>((b >> 8) & 0x1FFFFFu)) * (1.0f / 2097152.0f);
  const float g = select(0u - (o & 1u), 1.0f - f, f);
  const float th = g * kPiOver4;
  const float th2 = th * th;
  float sp = 1.0f / 362880.0f;
  sp = sp * th2 - 1.0f / 5040.0f;
  sp = sp * th2 + 1.0f / 120.0f;
  sp = sp * th2 - 1.0f / 6.0f;
  const float sn = th + th * (th2 * sp);
  float cp = -1.0f / 3628800.0f;
  cp = cp * th2 + 1.0f / 40320.0f;
  cp = cp * th2 - 1.0f / 720.0f;
  cp = cp * th2 + 1.0f / 24.0f;
  cp = cp * th2 - 0.5f;
  const float cs = 1.0f + th2 * cp;

  // Octants 1, 2, 5, 6 swap sin and cos; cos is negative in 2..5, sin in 4..7.
  const uint32_t swap = 0u - (((o + 1u) >> 1) & 1u);
  const float c0 = select(swap, sn, cs);
  const float s0 = select(swap, cs, sn);
  const uint32_t cos_sign = (((o + 2u) >> 2) & 1u) << 31;  // octants 2..5
  const uint32_t sin_sign = (o >> 2) << 31;                // octants 4..7
  const float c = std::bit_cast<float>(std::bit_cast<uint32_t>(c0) ^ cos_sign);
  const float s = std::bit_cast<float>(std::bit_cast<uint32_t>(s0) ^ sin_sign);
  z_cos = r * c;
  z_sin = r * s;
}

// Groups per block: 4 * kBlock values are made per pass of the block loops.
constexpr size_t kBlock = 64;

// Philox4x32-10 on kBlock consecutive groups [group, group + kBlock), in structure-of-arrays
// form: the same rounds as Random123's philox4x32_R(10, ...), with SSE2 / AVX2 / AVX-512F
// intrinsics (g++ does not see that the auto-vectorized products are 32x32 bits and emits
// three multiplies for each). One 64-bit lane per group, whose low 32 bits hold the word
// (pmuludq multiplies exactly those). x1/x3 keep the whole 64-bit products; their high
// halves only ever reach the high bits of x0/x2 through XOR, which pmuludq ignores, and the
// stores keep the low 32 bits.

// Stores the low 32 bits of each 64-bit lane.
inline void store_low32_sse2(uint32_t* out, __m128i x) {
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi32(x, 0x08));
}
__attribute__((target("avx2"))) inline void store_low32_avx2(uint32_t* out, __m256i x) {
  const __m256i pack = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(x, pack)));
}
// g++ 12's avx512fintrin.h trips -Wuninitialized on its own _mm512_undefined_* helpers
// (a known false positive of the header); silence it for the AVX-512 code only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) inline void store_low32_avx512(uint32_t* out, __m512i x) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtepi64_epi32(x));
}

inline void philox_block_sse2(uint64_t seed, uint32_t tensor, uint64_t group, uint32_t (&o0)[kBlock],
                              uint32_t (&o1)[kBlock], uint32_t (&o2)[kBlock], uint32_t (&o3)[kBlock]) {
  const __m128i m0 = _mm_set1_epi64x(PHILOX_M4x32_0);
  const __m128i m1 = _mm_set1_epi64x(PHILOX_M4x32_1);
  const __m128i low = _mm_set1_epi64x(0xffffffffLL);
  for (size_t i = 0; i < kBlock; i += 2) {
    const __m128i g = _mm_add_epi64(_mm_set1_epi64x(static_cast<long long>(group + i)), _mm_set_epi64x(1, 0));
    __m128i x0 = _mm_and_si128(g, low), x1 = _mm_srli_epi64(g, 32);
    __m128i x2 = _mm_set1_epi64x(tensor), x3 = _mm_setzero_si128();
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      const __m128i p0 = _mm_mul_epu32(x0, m0);
      const __m128i p1 = _mm_mul_epu32(x2, m1);
      x0 = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(p1, 32), x1), _mm_set1_epi64x(k0));
      x2 = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(p0, 32), x3), _mm_set1_epi64x(k1));
      x1 = p1;
      x3 = p0;
      k0 += PHILOX_W32_0;
      k1 += PHILOX_W32_1;
    }
    store_low32_sse2(o0 + i, x0);
    store_low32_sse2(o1 + i, x1);
    store_low32_sse2(o2 + i, x2);
    store_low32_sse2(o3 + i, x3);
  }
}

__attribute__((target("avx2"))) inline void philox_block_avx2(uint64_t seed, uint32_t tensor, uint64_t group,
                                                              uint32_t (&o0)[kBlock], uint32_t (&o1)[kBlock],
                                                              uint32_t (&o2)[kBlock], uint32_t (&o3)[kBlock]) {
  const __m256i m0 = _mm256_set1_epi64x(PHILOX_M4x32_0);
  const __m256i m1 = _mm256_set1_epi64x(PHILOX_M4x32_1);
  const __m256i low = _mm256_set1_epi64x(0xffffffffLL);
  for (size_t i = 0; i < kBlock; i += 4) {
    const __m256i g = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(group + i)),
                                       _mm256_setr_epi64x(0, 1, 2, 3));
    __m256i x0 = _mm256_and_si256(g, low), x1 = _mm256_srli_epi64(g, 32);
    __m256i x2 = _mm256_set1_epi64x(tensor), x3 = _mm256_setzero_si256();
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      const __m256i p0 = _mm256_mul_epu32(x0, m0);
      const __m256i p1 = _mm256_mul_epu32(x2, m1);
      x0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1), _mm256_set1_epi64x(k0));
      x2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3), _mm256_set1_epi64x(k1));
      x1 = p1;
      x3 = p0;
      k0 += PHILOX_W32_0;
      k1 += PHILOX_W32_1;
    }
    store_low32_avx2(o0 + i, x0);
    store_low32_avx2(o1 + i, x1);
    store_low32_avx2(o2 + i, x2);
    store_low32_avx2(o3 + i, x3);
  }
}

__attribute__((target("avx512f"))) inline void philox_block_avx512(uint64_t seed, uint32_t tensor, uint64_t group,
                                                                   uint32_t (&o0)[kBlock], uint32_t (&o1)[kBlock],
                                                                   uint32_t (&o2)[kBlock], uint32_t (&o3)[kBlock]) {
  const __m512i m0 = _mm512_set1_epi64(PHILOX_M4x32_0);
  const __m512i m1 = _mm512_set1_epi64(PHILOX_M4x32_1);
  const __m512i low = _mm512_set1_epi64(0xffffffffLL);
  for (size_t i = 0; i < kBlock; i += 8) {
    const __m512i g = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(group + i)),
                                       _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    __m512i x0 = _mm512_and_si512(g, low), x1 = _mm512_srli_epi64(g, 32);
    __m512i x2 = _mm512_set1_epi64(tensor), x3 = _mm512_setzero_si512();
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      const __m512i p0 = _mm512_mul_epu32(x0, m0);
      const __m512i p1 = _mm512_mul_epu32(x2, m1);
      x0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), x1), _mm512_set1_epi64(k0));
      x2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), x3), _mm512_set1_epi64(k1));
      x1 = p1;
      x3 = p0;
      k0 += PHILOX_W32_0;
      k1 += PHILOX_W32_1;
    }
    store_low32_avx512(o0 + i, x0);
    store_low32_avx512(o1 + i, x1);
    store_low32_avx512(o2 + i, x2);
    store_low32_avx512(o3 + i, x3);
  }
}
#pragma GCC diagnostic pop

using BlockFn = void (*)(uint64_t, uint32_t, uint64_t, float (&)[4 * kBlock]);

// The 4 * kBlock values of groups [group, group + kBlock), in element order.
template <auto Philox>
__attribute__((always_inline)) inline void values_block(uint64_t seed, uint32_t tensor, uint64_t group,
                                                        float (&out)[4 * kBlock]) {
  alignas(64) uint32_t x0[kBlock], x1[kBlock], x2[kBlock], x3[kBlock];
  Philox(seed, tensor, group, x0, x1, x2, x3);
  alignas(64) float zc0[kBlock], zs0[kBlock], zc1[kBlock], zs1[kBlock];
  for (size_t i = 0; i < kBlock; ++i) gaussian_pair(x0[i], x1[i], zc0[i], zs0[i]);
  for (size_t i = 0; i < kBlock; ++i) gaussian_pair(x2[i], x3[i], zc1[i], zs1[i]);
  for (size_t i = 0; i < kBlock; ++i) {
    out[4 * i] = zc0[i];
    out[4 * i + 1] = zs0[i];
    out[4 * i + 2] = zc1[i];
    out[4 * i + 3] = zs1[i];
  }
}

// values_block compiled for baseline x86-64 (SSE2), AVX2 and AVX-512F. All three are the same
// IEEE single-precision operations (no FMA: neither target implies it, and -ffp-contract=off),
// so the same bits; tests/noise checks every path this CPU can run against eps_v1.
void values_block_sse2(uint64_t seed, uint32_t tensor, uint64_t group, float (&out)[4 * kBlock]) {
  values_block<philox_block_sse2>(seed, tensor, group, out);
}
__attribute__((target("avx2"))) void values_block_avx2(uint64_t seed, uint32_t tensor, uint64_t group,
                                                       float (&out)[4 * kBlock]) {
  values_block<philox_block_avx2>(seed, tensor, group, out);
}
__attribute__((target("avx512f"))) void values_block_avx512(uint64_t seed, uint32_t tensor, uint64_t group,
                                                           float (&out)[4 * kBlock]) {
  values_block<philox_block_avx512>(seed, tensor, group, out);
}

bool path_supported(BlockPath path) {
  switch (path) {
    case BlockPath::kSse2: return true;
    case BlockPath::kAvx2: return __builtin_cpu_supports("avx2");
    case BlockPath::kAvx512: return __builtin_cpu_supports("avx512f");
  }
  return false;
}

BlockFn path_function(BlockPath path) {
  switch (path) {
    case BlockPath::kAvx512: return values_block_avx512;
    case BlockPath::kAvx2: return values_block_avx2;
    case BlockPath::kSse2: break;
  }
  return values_block_sse2;
}

BlockPath best_path() {
  __builtin_cpu_init();  // may run before libgcc's own constructor
  for (const BlockPath p : {BlockPath::kAvx512, BlockPath::kAvx2}) {
    if (path_supported(p)) return p;
  }
  return BlockPath::kSse2;
}

BlockFn best_block() {
  static const BlockFn block = path_function(best_path());
  return block;
}

// Calls body(block_values, out_offset, count) for consecutive pieces of [first, first + n),
// each inside one block of 4 * kBlock values.
template <typename Body>
__attribute__((always_inline)) inline void for_each_block(BlockFn block, uint64_t seed, uint32_t tensor,
                                                          uint64_t first, size_t n, Body&& body) {
  constexpr uint64_t kValues = 4 * kBlock;
  alignas(64) float values[kValues];
  size_t done = 0;
  while (done < n) {
    const uint64_t element = first + done;
    const uint64_t block_start = element - element % kValues;
    block(seed, tensor, block_start / 4, values);
    const size_t skip = static_cast<size_t>(element - block_start);
    const size_t count = std::min<size_t>(kValues - skip, n - done);
    body(values + skip, done, count);
    done += count;
  }
}

}  // namespace

bool supports(int version) { return version >= 1 && version <= kNewestVersion; }

void require_supported(int version) {
  if (!supports(version)) {
    fail(ErrorCode::kUnimplemented, "noise version " + std::to_string(version) +
                                        " is not known to this seedline (it knows 1.." +
                                        std::to_string(kNewestVersion) + ")");
  }
}

float eps_v1(uint64_t seed, uint32_t tensor, uint64_t element) {
  const uint64_t group = element >> 2;
  const philox4x32_ctr_t ctr = {{static_cast<uint32_t>(group), static_cast<uint32_t>(group >> 32), tensor, 0u}};
  const philox4x32_key_t key = {{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}};
  const philox4x32_ctr_t x = philox4x32_R(10, ctr, key);
  const unsigned pair = static_cast<unsigned>(element >> 1) & 1u;
  float zc = 0, zs = 0;
  gaussian_pair(x.v[2 * pair], x.v[2 * pair + 1], zc, zs);
  return (element & 1u) ? zs : zc;
}

bool block_path_supported(BlockPath path) { return path_supported(path); }

BlockPath block_path() { return best_path(); }

void fill_v1_with(BlockPath path, uint64_t seed, uint32_t tensor, uint64_t first, std::span<float> out) {
  if (!path_supported(path)) fail(ErrorCode::kFailedPrecondition, "this CPU cannot run that noise block path");
  for_each_block(path_function(path), seed, tensor, first, out.size(), [&](const float* v, size_t at, size_t count) {
    std::memcpy(out.data() + at, v, count * sizeof(float));
  });
}

void fill_v1(uint64_t seed, uint32_t tensor, uint64_t first, std::span<float> out) {
  for_each_block(best_block(), seed, tensor, first, out.size(), [&](const float* v, size_t at, size_t count) {
    std::memcpy(out.data() + at, v, count * sizeof(float));
  });
}

namespace {

// add_scaled_v1 through one block path, inlined into a function compiled for that path's
// instructions so the update loop is as wide as the noise (compiled for baseline x86-64 it
// took ~7% of a mutation). The same IEEE operations (scale * v, then +; no FMA), so the same
// bits on every path.
template <BlockFn Block>
__attribute__((always_inline)) inline void add_scaled_on(uint64_t seed, uint32_t tensor, uint64_t first, float scale,
                                                         std::span<float> inout) {
  for_each_block(Block, seed, tensor, first, inout.size(),
                 [&](const float* v, size_t at, size_t count) __attribute__((always_inline)) {
                   float* p = inout.data() + at;
                   for (size_t i = 0; i < count; ++i) {
                     const float step = scale * v[i];
                     p[i] = p[i] + step;
                   }
                 });
}
using AddScaledFn = void (*)(uint64_t, uint32_t, uint64_t, float, std::span<float>);
void add_scaled_sse2(uint64_t seed, uint32_t tensor, uint64_t first, float scale, std::span<float> inout) {
  add_scaled_on<values_block_sse2>(seed, tensor, first, scale, inout);
}
__attribute__((target("avx2"))) void add_scaled_avx2(uint64_t seed, uint32_t tensor, uint64_t first, float scale,
                                                     std::span<float> inout) {
  add_scaled_on<values_block_avx2>(seed, tensor, first, scale, inout);
}
__attribute__((target("avx512f"))) void add_scaled_avx512(uint64_t seed, uint32_t tensor, uint64_t first, float scale,
                                                         std::span<float> inout) {
  add_scaled_on<values_block_avx512>(seed, tensor, first, scale, inout);
}

AddScaledFn add_scaled_function(BlockPath path) {
  switch (path) {
    case BlockPath::kAvx512: return add_scaled_avx512;
    case BlockPath::kAvx2: return add_scaled_avx2;
    case BlockPath::kSse2: break;
  }
  return add_scaled_sse2;
}

AddScaledFn best_add_scaled() {
  static const AddScaledFn fn = add_scaled_function(best_path());
  return fn;
}

}  // namespace

void add_scaled_v1_with(BlockPath path, uint64_t seed, uint32_t tensor, uint64_t first, float scale,
                        std::span<float> inout) {
  if (!path_supported(path)) fail(ErrorCode::kFailedPrecondition, "this CPU cannot run that noise block path");
  add_scaled_function(path)(seed, tensor, first, scale, inout);
}

void add_scaled_v1(uint64_t seed, uint32_t tensor, uint64_t first, float scale, std::span<float> inout) {
  best_add_scaled()(seed, tensor, first, scale, inout);
}

}  // namespace seedline::noise
