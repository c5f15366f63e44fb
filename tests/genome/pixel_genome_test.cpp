// Genomes of pixel networks: the genotype sizes of the paper's Table 2 (direct, factorized
// with a direct output layer, small), per-layer representations, and the conv kernel's
// factorized develop layout.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

#include "genome/genome.hpp"
#include "genome/table2_networks.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;
using namespace seedline::genome::testing;

Representation factorized(int rank) { return {Representation::Type::kFactorized, rank, std::nullopt}; }

Genome make(const char* network, const std::vector<int64_t>& input, const Representation& rep) {
  return Genome(parse_architecture(json::parse(network), input), rep, {0.01, 0.01}, 1);
}

// Table 2's genotype counts. Atari factorized by hand (rank 4, output layer direct): conv
// A (in*h*w x 4) + B (4 x out) + bias: 768*4+4*32+32 = 3232, 512*4+4*64+64 = 2368,
// 576*4+4*64+64 = 2624; dense 256x3136: 256*4+4*3136+256 = 13824; output direct 256*18+18 =
// 4626; total 26,674. Direct genotypes are the phenotype itself.
TEST(PixelGenome, Table2GenotypeSizes) {
  struct Case {
    const char* name;
    const char* network;
    std::vector<int64_t> input;
    Representation rep;
    size_t genotype, phenotype;
  };
  const Case cases[] = {
      {"CarRacing direct", kCarRacing, {12, 64, 64}, {}, 957923, 957923},
      {"CarRacing small", kCarRacingSmall, {12, 64, 64}, {}, 5795, 5795},
      {"Atari direct", kAtari, {12, 84, 84}, {}, 902066, 902066},
      {"Atari factorized rank 4, direct output", kAtari, {12, 84, 84}, factorized(4), 26674, 902066},
      {"Atari small", kAtariSmall, {12, 84, 84}, {}, 17350, 17350},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Genome g = make(c.network, c.input, c.rep);
    EXPECT_EQ(g.genotype_size(), c.genotype);
    EXPECT_EQ(g.phenotype_size(), c.phenotype);
  }
}

TEST(PixelGenome, LayerRepresentationDecidesItsBlocks) {
  const Genome g = make(kAtari, {12, 84, 84}, factorized(4));
  std::vector<std::string> names;
  for (const auto& b : g.blocks()) names.push_back(b.name);
  const std::vector<std::string> expected = {
      "layers.0.weight.A", "layers.0.weight.B", "layers.0.bias", "layers.1.weight.A", "layers.1.weight.B",
      "layers.1.bias",     "layers.2.weight.A", "layers.2.weight.B", "layers.2.bias", "layers.4.weight.A",
      "layers.4.weight.B", "layers.4.bias",     "layers.5.weight",   "layers.5.bias"};
  EXPECT_EQ(names, expected);
  const Block& out = g.blocks()[12];
  EXPECT_EQ(out.shape, (std::vector<int64_t>{18, 256}));
  EXPECT_EQ(out.init_std, static_cast<float>(std::sqrt(2.0 / 256)));
  EXPECT_EQ(out.mutation_std, static_cast<float>(0.01 * std::sqrt(2.0 / 256)));
  // The conv factors: A is (in*h*w) x k, B is k x out.
  EXPECT_EQ(g.blocks()[0].shape, (std::vector<int64_t>{768, 4}));
  EXPECT_EQ(g.blocks()[1].shape, (std::vector<int64_t>{4, 32}));
}

// A layer that states the condition's own representation changes nothing: same blocks, same
// genotype bits, so a per-layer field is exactly "this layer as if the condition said so".
TEST(PixelGenome, LayerRepresentationEqualToTheConditionsGivesTheSameBits) {
  const char* plain = R"([{"type": "conv", "out": 3, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "out": 2}])";
  const char* stated = R"([
      {"type": "conv", "out": 3, "kernel": 2, "representation": {"type": "factorized", "rank": 2}},
      {"type": "flatten"},
      {"type": "dense", "out": 2, "representation": {"type": "factorized", "rank": 2}}])";
  const Genome a = make(plain, {2, 4, 4}, factorized(2));
  const Genome b = make(stated, {2, 4, 4}, Representation{});
  auto ga = a.init(99);
  auto gb = b.init(99);
  a.mutate(ga, 5);
  b.mutate(gb, 5);
  ASSERT_EQ(ga.size(), gb.size());
  for (size_t i = 0; i < ga.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(ga[i]), std::bit_cast<uint32_t>(gb[i])) << i;
  }
}

// A factorized conv kernel (out, in, h, w) is developed as the (in*h*w) x out matrix A.B and
// transposed: kernel[o][i][y][x] = (A.B)((i*h + y)*w + x, o) (docs/genome.md).
TEST(PixelGenome, FactorizedConvKernelLayout) {
  const Genome g = make(R"([{"type": "conv", "out": 2, "kernel": [2, 3], "bias": false}])", {3, 4, 5}, factorized(2));
  const auto genotype = g.init(7);
  const auto phenotype = g.develop(genotype);
  const Block& a = g.blocks()[0];
  const Block& b = g.blocks()[1];
  ASSERT_EQ(a.shape, (std::vector<int64_t>{18, 2}));
  ASSERT_EQ(b.shape, (std::vector<int64_t>{2, 2}));
  for (int o = 0; o < 2; ++o) {
    for (int i = 0; i < 3; ++i) {
      for (int y = 0; y < 2; ++y) {
        for (int x = 0; x < 3; ++x) {
          const int row = (i * 2 + y) * 3 + x;
          double m = 0;
          for (int k = 0; k < 2; ++k) {
            m += static_cast<double>(genotype[a.offset + row * 2 + k]) * genotype[b.offset + k * 2 + o];
          }
          EXPECT_NEAR(phenotype[((o * 3 + i) * 2 + y) * 3 + x], m, 1e-6) << o << i << y << x;
        }
      }
    }
  }
}

}  // namespace
}  // namespace seedline::genome
