// The SIMD code paths of the noise block functions, exposed so tests can check that every
// path gives the same bits as eps_v1 (noise.hpp). Not for other uses: fill_v1 and
// add_scaled_v1 pick the best path the CPU supports by themselves.
//
// Thread-safety: pure functions. Failure: the *_with functions throw kFailedPrecondition for a path
// this CPU cannot run.
#pragma once

#include <cstdint>
#include <span>

namespace seedline::noise {

enum class BlockPath { kSse2, kAvx2, kAvx512 };

bool block_path_supported(BlockPath path);
// The path fill_v1 and add_scaled_v1 use on this CPU.
BlockPath block_path();
// fill_v1 through a given path.
void fill_v1_with(BlockPath path, uint64_t seed, uint32_t tensor, uint64_t first, std::span<float> out);
// add_scaled_v1 through a given path.
void add_scaled_v1_with(BlockPath path, uint64_t seed, uint32_t tensor, uint64_t first, float scale,
                        std::span<float> inout);

}  // namespace seedline::noise
