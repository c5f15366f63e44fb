// The 8-lane vector type of the avx2 kernel path (AVX2 + FMA intrinsics). Included only by
// path_avx2.cpp, which is compiled with -mavx2 -mfma (CMakeLists.txt); see kernels_impl.hpp
// for the operations every vector type provides and their exact meaning.
#pragma once

#include <immintrin.h>

#include <cstdint>

struct Vec {
  static constexpr int W = 8;
  using Mask = __m256;
  __m256 v;

  static __m256i lanes_below(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0));
  }
  static Vec load(const float* p) { return {_mm256_loadu_ps(p)}; }
  static Vec load_partial(const float* p, int n, float fill) {
    const __m256i m = lanes_below(n);
    return {_mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m))};
  }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store_partial(float* p, int n) const { _mm256_maskstore_ps(p, lanes_below(n), v); }
  static Vec set1(float x) { return {_mm256_set1_ps(x)}; }
  static Vec iota(float base) {
    return {_mm256_add_ps(_mm256_set1_ps(base), _mm256_set_ps(7, 6, 5, 4, 3, 2, 1, 0))};
  }
  friend Vec operator+(Vec a, Vec b) { return {_mm256_add_ps(a.v, b.v)}; }
  friend Vec operator-(Vec a, Vec b) { return {_mm256_sub_ps(a.v, b.v)}; }
  friend Vec operator*(Vec a, Vec b) { return {_mm256_mul_ps(a.v, b.v)}; }
  friend Vec operator/(Vec a, Vec b) { return {_mm256_div_ps(a.v, b.v)}; }
  static Vec fma(Vec a, Vec b, Vec c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  static Vec max(Vec a, Vec b) { return {_mm256_max_ps(a.v, b.v)}; }
  static Mask le(Vec a, Vec b) { return _mm256_cmp_ps(a.v, b.v, _CMP_LE_OQ); }
  static Vec select(Mask m, Vec a, Vec b) { return {_mm256_blendv_ps(b.v, a.v, m)}; }
  static Vec pow2_from_magic(Vec t) {
    const __m256i b = _mm256_castps_si256(t.v);
    return {_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(127)), 23))};
  }
};
