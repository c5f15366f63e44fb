// Seed derivation: every random choice of a run comes from (seed, stream, a, b) through a
// counter-based hash, so any generation can be recomputed alone, in any order, on any thread
// count, and a resumed run makes exactly the choices an uninterrupted one would.
//
// derive(seed, stream, a, b) = the first 64 bits of Philox4x32-10 with key (seed low, seed
// high) and counter (a low, a high, b, stream). This is part of the reproducibility contract
// (like noise v1): never change it; a change is a new noise version.
#pragma once

#include <cstdint>

namespace seedline::evolve {

enum class Stream : uint32_t {
  kRunSeed = 1,      // a = condition index, b = trial
  kRootSeed = 2,     // a = 0, b = population slot (generation 0)
  kChildSeed = 3,    // a = generation, b = child slot
  kParentPick = 4,   // a = generation, b = child slot
  kEpisodeSeed = 5,  // a = generation, b = stage * 2^16 + episode within the stage
  kEsMemberSeed = 6, // a = generation, b = perturbation index (the pair when antithetic); docs/es.md
  kReevaluationEpisode = 7,  // a = 0, b = episode (seedline evaluate; seed = its --seed)
};

uint64_t derive(uint64_t seed, Stream stream, uint64_t a, uint32_t b);

// A uniform integer in [0, n) from a 64-bit derived value (n > 0), by 128-bit multiply-shift.
inline uint32_t uniform_below(uint64_t value, uint32_t n) {
  __extension__ using u128 = unsigned __int128;
  return static_cast<uint32_t>((static_cast<u128>(value) * n) >> 64);
}

}  // namespace seedline::evolve
