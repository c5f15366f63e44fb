// Counter-based Gaussian noise, versioned: the randomness of every genotype.
//
// eps(seed, tensor, element) ~ N(0, 1) as float32. Each value depends on nothing but its three
// coordinates, so any element is computable alone and results do not depend on thread count,
// SIMD width or build type. The algorithm of version 1 ("noise v1") is documented in
// docs/genome.md and pinned by golden tests: it never changes; a change is a new version.
// Every run records its noise version, and a binary refuses to rebuild a version it lacks.
//
// Thread-safety: pure functions, safe from any thread.
// Failure: require_supported throws seedline::Error(kUnimplemented) naming the version; the
// fill functions cannot fail (out and inout may be empty).
#pragma once

#include <cstdint>
#include <span>

namespace seedline::noise {

// The newest noise version this binary knows; new runs record it.
inline constexpr int kNewestVersion = 1;

bool supports(int version);
// Throws kUnimplemented "noise version N is not known to this seedline (it knows 1..1)".
void require_supported(int version);

// Noise v1 of one element.
float eps_v1(uint64_t seed, uint32_t tensor, uint64_t element);

// out[i] = eps_v1(seed, tensor, first + i), bit for bit.
void fill_v1(uint64_t seed, uint32_t tensor, uint64_t first, std::span<float> out);

// inout[i] = inout[i] + scale * eps_v1(seed, tensor, first + i), as float32 in that order
// (one rounded multiply, then one rounded add; no FMA).
void add_scaled_v1(uint64_t seed, uint32_t tensor, uint64_t first, float scale, std::span<float> inout);

}  // namespace seedline::noise
