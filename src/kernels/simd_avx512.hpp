// The 16-lane vector type of the avx512 kernel path (AVX-512F intrinsics). Included only by
// path_avx512.cpp, which is compiled with -mavx512f -mavx2 -mfma (CMakeLists.txt); see
// kernels_impl.hpp for the operations every vector type provides and their exact meaning.
#pragma once

#include <immintrin.h>

#include <cstdint>

struct Vec {
  static constexpr int W = 16;
  using Mask = __mmask16;
  __m512 v;

  static Vec load(const float* p) { return {_mm512_loadu_ps(p)}; }
  // Lanes [0, n) from p, the others `fill` (0 < n <= W); reads nothing beyond p + n.
  static Vec load_partial(const float* p, int n, float fill) {
    const __mmask16 m = static_cast<__mmask16>((1u << n) - 1u);
    return {_mm512_mask_loadu_ps(_mm512_set1_ps(fill), m, p)};
  }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  void store_partial(float* p, int n) const {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
  }
  static Vec set1(float x) { return {_mm512_set1_ps(x)}; }
  // Lane l holds base + l (exact for the small integers used here).
  static Vec iota(float base) {
    return {_mm512_add_ps(_mm512_set1_ps(base),
                          _mm512_set_ps(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0))};
  }
  friend Vec operator+(Vec a, Vec b) { return {_mm512_add_ps(a.v, b.v)}; }
  friend Vec operator-(Vec a, Vec b) { return {_mm512_sub_ps(a.v, b.v)}; }
  friend Vec operator*(Vec a, Vec b) { return {_mm512_mul_ps(a.v, b.v)}; }
  friend Vec operator/(Vec a, Vec b) { return {_mm512_div_ps(a.v, b.v)}; }
  // a * b + c, rounded once.
  static Vec fma(Vec a, Vec b, Vec c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
  // x86 maxps: a > b ? a : b (so b when either is NaN).
  static Vec max(Vec a, Vec b) { return {_mm512_max_ps(a.v, b.v)}; }
  // a <= b, false when either is NaN.
  static Mask le(Vec a, Vec b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_LE_OQ); }
  // m ? a : b per lane.
  static Vec select(Mask m, Vec a, Vec b) { return {_mm512_mask_blend_ps(m, b.v, a.v)}; }
  // 2^n for the integer n held exactly in (t - 0x1.8p23) where t = 0x1.8p23 + n: the bits
  // (bits(t) + 127) << 23, wrapping (only n in [-126, 127] is used).
  static Vec pow2_from_magic(Vec t) {
    const __m512i b = _mm512_castps_si512(t.v);
    return {_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(127)), 23))};
  }
};
