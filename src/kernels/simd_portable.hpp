// The vector type of the portable kernel path: 4 lanes of plain C++ for baseline x86-64.
// std::fma is a correctly rounded fused multiply-add (glibc computes it exactly in software
// where the CPU has no FMA), so every operation gives the bits of the avx2 and avx512 paths'
// instructions. Included only by path_portable.cpp; see kernels_impl.hpp for the operations.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

struct Vec {
  static constexpr int W = 4;
  struct Mask {
    bool m[W];
  };
  float v[W];

  static Vec load(const float* p) {
    Vec r;
    for (int l = 0; l < W; ++l) r.v[l] = p[l];
    return r;
  }
  static Vec load_partial(const float* p, int n, float fill) {
    Vec r;
    for (int l = 0; l < W; ++l) r.v[l] = l < n ? p[l] : fill;
    return r;
  }
  void store(float* p) const {
    for (int l = 0; l < W; ++l) p[l] = v[l];
  }
  void store_partial(float* p, int n) const {
    for (int l = 0; l < n; ++l) p[l] = v[l];
  }
  static Vec set1(float x) {
    Vec r;
    for (int l = 0; l < W; ++l) r.v[l] = x;
    return r;
  }
  static Vec iota(float base) {
    Vec r;
    for (int l = 0; l < W; ++l) r.v[l] = base + static_cast<float>(l);
    return r;
  }
  friend Vec operator+(Vec a, Vec b) {
    for (int l = 0; l < W; ++l) a.v[l] = a.v[l] + b.v[l];
    return a;
  }
  friend Vec operator-(Vec a, Vec b) {
    for (int l = 0; l < W; ++l) a.v[l] = a.v[l] - b.v[l];
    return a;
  }
  friend Vec operator*(Vec a, Vec b) {
    for (int l = 0; l < W; ++l) a.v[l] = a.v[l] * b.v[l];
    return a;
  }
  friend Vec operator/(Vec a, Vec b) {
    for (int l = 0; l < W; ++l) a.v[l] = a.v[l] / b.v[l];
    return a;
  }
  static Vec fma(Vec a, Vec b, Vec c) {
    for (int l = 0; l < W; ++l) a.v[l] = std::fma(a.v[l], b.v[l], c.v[l]);
    return a;
  }
  static Vec max(Vec a, Vec b) {
    for (int l = 0; l < W; ++l) a.v[l] = a.v[l] > b.v[l] ? a.v[l] : b.v[l];
    return a;
  }
  static Mask le(Vec a, Vec b) {
    Mask m;
    for (int l = 0; l < W; ++l) m.m[l] = a.v[l] <= b.v[l];
    return m;
  }
  static Vec select(Mask m, Vec a, Vec b) {
    for (int l = 0; l < W; ++l) a.v[l] = m.m[l] ? a.v[l] : b.v[l];
    return a;
  }
  static Vec pow2_from_magic(Vec t) {
    for (int l = 0; l < W; ++l) {
      uint32_t b;
      std::memcpy(&b, &t.v[l], 4);
      b = (b + 127u) << 23;
      std::memcpy(&t.v[l], &b, 4);
    }
    return t;
  }
};
