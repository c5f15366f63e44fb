// Recomputes the golden values of the genotype path (tests/golden/golden_values.hpp) and
// compares them bit for bit. tests/golden/CMakeLists.txt builds this file with the noise and
// genome sources compiled again at -O0 (like a Debug build) and, where the compiler takes it,
// at -O2 -march=native, so CI checks docs/genome.md's promise that a genotype has the same bits in
// every build type, not only in the Release build the GoogleTest suite runs in.
//
// Checks: eps_v1 single values; each noise stream through eps_v1 element by element, fill_v1
// and every SIMD block path this CPU supports; add_scaled_v1 against its golden checksum and
// against the documented float32 formula; init + mutate genome checksums.
//
// Prints one line per check and "N passed, N failed"; exits 1 when a check fails, 2 when an
// exception escapes (its message is printed).
#include <xxhash.h>

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "genome/genome.hpp"
#include "golden/golden_values.hpp"
#include "noise/block_paths.hpp"
#include "noise/noise.hpp"

namespace {

using namespace seedline;

int passed = 0;
int failed = 0;

void check(bool ok, const std::string& what, uint64_t got, uint64_t want) {
  if (ok) {
    ++passed;
    std::printf("ok       %s\n", what.c_str());
  } else {
    ++failed;
    std::printf("MISMATCH %s: got 0x%016" PRIx64 ", golden 0x%016" PRIx64 "\n", what.c_str(), got, want);
  }
}

uint64_t xxh(const std::vector<float>& v) { return XXH64(v.data(), v.size() * sizeof(float), 0); }

std::string stream_name(uint64_t seed, uint32_t tensor, uint64_t first, size_t n) {
  return "seed " + std::to_string(seed) + " tensor " + std::to_string(tensor) + " first " + std::to_string(first) +
         " n " + std::to_string(n);
}

void check_noise() {
  for (const auto& v : golden::kNoiseValues) {
    const uint32_t got = std::bit_cast<uint32_t>(noise::eps_v1(v.seed, v.tensor, v.element));
    check(got == v.bits,
          "eps_v1(" + std::to_string(v.seed) + ", " + std::to_string(v.tensor) + ", " + std::to_string(v.element) + ")",
          got, v.bits);
  }
  struct Path {
    const char* name;
    noise::BlockPath path;
  };
  const Path paths[] = {{"sse2", noise::BlockPath::kSse2},
                        {"avx2", noise::BlockPath::kAvx2},
                        {"avx512f", noise::BlockPath::kAvx512}};
  for (const Path& p : paths) {
    if (!noise::block_path_supported(p.path)) std::printf("skipped  the %s path: this CPU cannot run it\n", p.name);
  }
  for (const auto& s : golden::kNoiseStreams) {
    const std::string name = stream_name(s.seed, s.tensor, s.first, s.n);
    std::vector<float> v(s.n);
    for (size_t i = 0; i < s.n; ++i) v[i] = noise::eps_v1(s.seed, s.tensor, s.first + i);
    check(xxh(v) == s.xxh64, "eps_v1 stream " + name, xxh(v), s.xxh64);
    noise::fill_v1(s.seed, s.tensor, s.first, v);
    check(xxh(v) == s.xxh64, "fill_v1 " + name, xxh(v), s.xxh64);
    for (const Path& p : paths) {
      if (!noise::block_path_supported(p.path)) continue;
      std::vector<float> w(s.n, -7.0f);
      noise::fill_v1_with(p.path, s.seed, s.tensor, s.first, w);
      check(xxh(w) == s.xxh64, std::string("fill_v1_with ") + p.name + " " + name, xxh(w), s.xxh64);
    }
  }
  for (const auto& a : golden::kAddScaled) {
    const std::string name = stream_name(a.seed, a.tensor, a.first, a.n) + " scale " + std::to_string(a.scale);
    std::vector<float> acc(a.n), expected(a.n);
    for (size_t i = 0; i < a.n; ++i) {
      acc[i] = golden::kAddScaledBase + golden::kAddScaledStep * static_cast<float>(i);
      const float step = a.scale * noise::eps_v1(a.seed, a.tensor, a.first + i);
      expected[i] = acc[i] + step;
    }
    noise::add_scaled_v1(a.seed, a.tensor, a.first, a.scale, acc);
    check(xxh(acc) == a.xxh64, "add_scaled_v1 " + name, xxh(acc), a.xxh64);
    check(xxh(expected) == a.xxh64, "x + scale * eps_v1 " + name, xxh(expected), a.xxh64);
  }
}

void check_genome() {
  const auto architecture =
      genome::parse_architecture(nlohmann::json::parse(golden::kGenomeNetwork), std::nullopt);
  for (const auto& c : golden::kGenomeChecksums) {
    genome::Representation rep;
    if (c.factorized_rank > 0) {
      rep.type = genome::Representation::Type::kFactorized;
      rep.rank = c.factorized_rank;
    }
    const genome::Genome g(architecture, rep, {golden::kGenomeMutationRate, golden::kGenomeBiasStd}, 1);
    auto x = g.init(golden::kGenomeInitSeed);
    for (const uint64_t s : golden::kGenomeMutateSeeds) g.mutate(x, s);
    const uint64_t got = genome::Genome::checksum(x);
    check(got == c.checksum, std::string("genome init + mutate, ") + c.name, got, c.checksum);
  }
}

}  // namespace

int main() {
  try {
    std::printf("noise block path in use: %d (0 sse2, 1 avx2, 2 avx512f)\n", static_cast<int>(noise::block_path()));
    check_noise();
    check_genome();
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 2;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
