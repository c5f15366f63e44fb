// The golden values of the genotype path, in one place: noise v1 checksums and single values,
// add_scaled_v1 checksums, and init + mutate checksums of a small architecture. The Release
// GoogleTest suite (tests/noise/noise_test.cpp, tests/genome/genome_test.cpp) and the -O0 /
// -march=native programs (tests/golden/golden_check.cpp) compare against these same
// constants, so the build types cannot drift apart.
//
// Where they came from: produced by this implementation (g++ 12, x86-64, Release) on
// 2026-11-25 -- the noise and genome values when noise v1 was defined (they were pinned in
// noise_test.cpp and genome_test.cpp before moving here), the add_scaled_v1 values when this
// header was added. They must NEVER change: every stored lineage of noise version 1 depends
// on these bits. A change to the algorithm is a new noise version, not an edit here.
//
// Plain constants, no dependencies: safe from any thread, cannot fail.
#pragma once

#include <cstddef>
#include <cstdint>

namespace seedline::golden {

// xxh64 (seed 0) of the float32 bytes of fill_v1(seed, tensor, first, n values).
struct NoiseStream {
  uint64_t seed;
  uint32_t tensor;
  uint64_t first;
  size_t n;
  uint64_t xxh64;
};
inline constexpr NoiseStream kNoiseStreams[] = {
    {0, 0, 0, 1000, 0xd609a2d2f48eac98ULL},
    {1, 0, 0, 4096, 0x945fc919009bd6d2ULL},
    {0xfffffffffffffffeULL, 3, 1, 777, 0x842b761948274db9ULL},
    {20261125, 0xffffffffu, (uint64_t{1} << 40) + 5, 513, 0x77cae36779267c07ULL},
    {0x5eed, 17, 123456789, 100000, 0x05831805ea7befb3ULL},
};

// eps_v1(seed, tensor, element) as float32 bits: a few single values, readable in a diff.
struct NoiseValue {
  uint64_t seed;
  uint32_t tensor;
  uint64_t element;
  uint32_t bits;
};
inline constexpr NoiseValue kNoiseValues[] = {
    {0, 0, 0, 0x3f7dbb2fu},
    {1, 2, 3, 0x3ed12a76u},
};

// add_scaled_v1(seed, tensor, first, scale, inout) on inout[i] = kAddScaledBase +
// kAddScaledStep * i (float32), then xxh64 (seed 0) of inout's bytes.
inline constexpr float kAddScaledBase = 0.25f;
inline constexpr float kAddScaledStep = 0.5f;
struct AddScaled {
  uint64_t seed;
  uint32_t tensor;
  uint64_t first;
  size_t n;
  float scale;
  uint64_t xxh64;
};
inline constexpr AddScaled kAddScaled[] = {
    {7, 2, 0, 1000, 0.034375f, 0x133cdba251293dcfULL},
    {0xfffffffffffffffeULL, 0xffffffffu, (uint64_t{1} << 33) + 3, 517, -1.5f, 0xc7910264b9d63bb7ULL},
    {0x5eed, 17, 123456789, 65537, 1e-3f, 0x027f361ad48dcdbeULL},
};

// Genome checksums (Genome::checksum, xxh64 of the genotype) after init(kGenomeInitSeed)
// and mutate() with each of kGenomeMutateSeeds in order, on kGenomeNetwork with mutation
// rate kGenomeMutationRate and bias std kGenomeBiasStd, noise version 1.
inline constexpr const char* kGenomeNetwork =
    R"([{"type": "dense", "in": 5, "out": 6, "activation": "tanh"}, {"type": "dense", "out": 2}])";
inline constexpr double kGenomeMutationRate = 0.02;
inline constexpr double kGenomeBiasStd = 0.01;
inline constexpr uint64_t kGenomeInitSeed = 0x5eedULL;
inline constexpr uint64_t kGenomeMutateSeeds[] = {1ULL, 0xffffffffffffffffULL, 424242ULL};
struct GenomeChecksum {
  const char* name;
  int factorized_rank;  // 0: direct representation
  uint64_t checksum;
};
inline constexpr GenomeChecksum kGenomeChecksums[] = {
    {"direct", 0, 0x682b9ee49a9b975eULL},
    {"factorized rank 2", 2, 0x3ee8ad642af51d70ULL},
};

}  // namespace seedline::golden
