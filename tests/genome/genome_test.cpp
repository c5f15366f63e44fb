// Genome: block layout, init statistics, mutation as documented (bit for bit), develop
// against hand-computed products, checksums, build_mlp, thread-count independence, and
// golden checksums that hold in every build type.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "evolve/experiment.hpp"
#include "genome/genome.hpp"
#include "genome/run_genome.hpp"
#include "golden/golden_values.hpp"
#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

Genome make(const char* network, Representation rep, MutationSettings m = {0.01, 0.001},
            std::optional<int> input = std::nullopt) {
  return Genome(parse_architecture(json::parse(network), input), rep, m, 1);
}

Representation factorized(int rank) {
  Representation r;
  r.type = Representation::Type::kFactorized;
  r.rank = rank;
  return r;
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

std::pair<double, double> mean_std(std::span<const float> v) {
  double s = 0, ss = 0;
  for (const float x : v) {
    s += x;
    ss += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(v.size());
  return {s / n, std::sqrt(ss / n - (s / n) * (s / n))};
}

TEST(Genome, BlocksFollowTheTensorsAndTheRepresentation) {
  const char* net = R"([{"type": "dense", "in": 3, "out": 5}, {"type": "layer_norm"},
                        {"type": "conv", "out": 2, "kernel": 2}, {"type": "embedding", "vocab": 7, "dim": 4}])";
  const Genome direct = make(net, {}, {0.04, 0.5});
  const auto& d = direct.blocks();
  ASSERT_EQ(d.size(), 5u);  // layer norm is not in the genotype
  EXPECT_EQ(d[0].name, "layers.0.weight");
  EXPECT_EQ(d[0].size, 15u);
  EXPECT_FLOAT_EQ(d[0].init_std, std::sqrt(2.0f / 3));
  EXPECT_FLOAT_EQ(d[0].mutation_std, 0.04f * std::sqrt(2.0f / 3));
  EXPECT_EQ(d[1].name, "layers.0.bias");
  EXPECT_EQ(d[1].init_std, 0.0f);
  EXPECT_EQ(d[1].mutation_std, 0.5f);
  EXPECT_EQ(d[2].name, "layers.2.weight");
  EXPECT_EQ(d[2].shape, (std::vector<int64_t>{2, 5, 2, 2}));
  EXPECT_EQ(d[2].offset, 20u);
  EXPECT_EQ(d[4].name, "layers.3.weight");
  EXPECT_EQ(direct.genotype_size(), 15u + 5 + 40 + 2 + 28);
  EXPECT_EQ(direct.phenotype_size(), direct.genotype_size() + 10);

  Representation rep = factorized(2);
  rep.embedding_rank = 3;
  const Genome f = make(net, rep, {0.04, 0.5});
  const auto& b = f.blocks();
  ASSERT_EQ(b.size(), 8u);
  struct Expected {
    const char* name;
    std::vector<int64_t> shape;
    double init_std;
  };
  const double r2 = std::sqrt(2.0);
  const Expected expected[] = {
      {"layers.0.weight.A", {5, 2}, std::sqrt(r2 / 2)},
      {"layers.0.weight.B", {2, 3}, std::sqrt(r2 / 3)},
      {"layers.0.bias", {5}, 0},
      {"layers.2.weight.A", {20, 2}, std::sqrt(r2 / 2)},  // conv: (in*h*w) x out
      {"layers.2.weight.B", {2, 2}, std::sqrt(r2 / 20)},
      {"layers.2.bias", {2}, 0},
      {"layers.3.weight.A", {7, 3}, std::sqrt(r2 / 3)},  // embedding_rank
      {"layers.3.weight.B", {3, 4}, std::sqrt(r2 / 4)},
  };
  size_t offset = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(b[i].name, expected[i].name);
    EXPECT_EQ(b[i].shape, expected[i].shape);
    EXPECT_EQ(b[i].offset, offset);
    EXPECT_EQ(b[i].init_std, static_cast<float>(expected[i].init_std));
    const double m = expected[i].init_std == 0 ? 0.5 : std::sqrt(0.04) * expected[i].init_std;
    EXPECT_EQ(b[i].mutation_std, static_cast<float>(m));
    offset += b[i].size;
  }
  EXPECT_EQ(f.genotype_size(), offset);
}

TEST(Genome, InitStatisticsMatchTheDesign) {
  const char* net = R"([{"type": "dense", "in": 1000, "out": 1000}])";
  {
    const Genome g = make(net, {});
    const auto x = g.init(11);
    const auto [mean, sd] = mean_std(std::span(x).first(1000 * 1000));
    EXPECT_NEAR(mean, 0.0, 0.001);
    EXPECT_NEAR(sd, std::sqrt(2.0 / 1000), 0.01 * std::sqrt(2.0 / 1000));
    for (size_t i = 1000 * 1000; i < x.size(); ++i) ASSERT_EQ(std::bit_cast<uint32_t>(x[i]), 0u) << "bias " << i;
  }
  {
    const Genome g = make(net, factorized(8));
    const auto x = g.init(12);
    const auto& blocks = g.blocks();
    const auto a = std::span<const float>(x).subspan(blocks[0].offset, blocks[0].size);
    const auto b = std::span<const float>(x).subspan(blocks[1].offset, blocks[1].size);
    EXPECT_NEAR(mean_std(a).second, std::sqrt(std::sqrt(2.0) / 8), 0.02 * std::sqrt(std::sqrt(2.0) / 8));
    EXPECT_NEAR(mean_std(b).second, std::sqrt(std::sqrt(2.0) / 1000), 0.02 * std::sqrt(std::sqrt(2.0) / 1000));
    const auto w = g.develop(x);
    const auto [mean, sd] = mean_std(std::span(w).first(1000 * 1000));
    EXPECT_NEAR(mean, 0.0, 0.001);
    // Entries of A.B share factors, so the variance estimate is noisier than for iid values.
    EXPECT_NEAR(sd * sd, 2.0 / 1000, 0.1 * 2.0 / 1000);
  }
}

TEST(Genome, MutationIsTheDocumentedFloat32Formula) {
  const Genome g = make(R"([{"type": "dense", "in": 7, "out": 9}, {"type": "dense", "out": 3}])", factorized(2),
                        {0.03, 0.002});
  auto x = g.init(5);
  const auto before = x;
  g.mutate(x, 77);
  for (size_t bi = 0; bi < g.blocks().size(); ++bi) {
    const Block& b = g.blocks()[bi];
    for (size_t i = 0; i < b.size; ++i) {
      const float step = b.mutation_std * noise::eps_v1(77, static_cast<uint32_t>(bi), i);
      const float expected = before[b.offset + i] + step;
      ASSERT_EQ(std::bit_cast<uint32_t>(x[b.offset + i]), std::bit_cast<uint32_t>(expected)) << b.name << " " << i;
    }
  }
  // The same seed gives the same bits; another seed other bits.
  auto y = before;
  g.mutate(y, 77);
  EXPECT_TRUE(same_bits(x, y));
  auto z = before;
  g.mutate(z, 78);
  EXPECT_FALSE(same_bits(x, z));
  // Init is deterministic too.
  EXPECT_TRUE(same_bits(g.init(5), before));
  EXPECT_FALSE(same_bits(g.init(6), before));
}

TEST(Genome, ZeroBiasNoiseLeavesBiasesUntouched) {
  const Genome g = make(R"([{"type": "dense", "in": 2, "out": 2}])", {}, {0.1, 0.0});
  auto x = g.init(1);
  x[4] = -0.0f;
  g.mutate(x, 2);
  EXPECT_EQ(std::bit_cast<uint32_t>(x[4]), 0x80000000u);  // not turned into +0 by adding 0 * eps
  EXPECT_EQ(std::bit_cast<uint32_t>(x[5]), 0u);
}

TEST(Genome, DevelopMultipliesFactorsAndReshapesConvKernels) {
  {
    const Genome g = make(R"([{"type": "dense", "in": 3, "out": 2}])", factorized(1));
    // A (2x1) = [1, 2], B (1x3) = [3, 4, 5], bias = [0.5, -0.5].
    const std::vector<float> x = {1, 2, 3, 4, 5, 0.5f, -0.5f};
    EXPECT_EQ(g.develop(x), (std::vector<float>{3, 4, 5, 6, 8, 10, 0.5f, -0.5f}));
  }
  {
    // Conv out=2, in=1, kernel 1x2: M = A.B is (in*h*w = 2) x (out = 2) with A = [1, 2]^T,
    // B = [10, 100]: M = [[10, 100], [20, 200]]; kernel[o][0][0][x] = M(x, o).
    const Genome g = make(R"([{"type": "conv", "in": 1, "out": 2, "kernel": [1, 2], "bias": false}])", factorized(1));
    const std::vector<float> x = {1, 2, 10, 100};
    EXPECT_EQ(g.develop(x), (std::vector<float>{10, 20, 100, 200}));
  }
  {
    // Rank 2 by hand: A = [[1, 2], [3, 4]], B = [[1, 0, -1], [2, 1, 0]].
    const Genome g = make(R"([{"type": "dense", "in": 3, "out": 2, "bias": false}])", factorized(2));
    const std::vector<float> x = {1, 2, 3, 4, 1, 0, -1, 2, 1, 0};
    EXPECT_EQ(g.develop(x), (std::vector<float>{5, 2, -1, 11, 4, -3}));
  }
  {
    // Direct tensors are copied; layer norm is developed as scale 1, bias 0.
    const Genome g = make(R"([{"type": "dense", "in": 1, "out": 2}, {"type": "layer_norm"}])", {});
    const std::vector<float> x = {0.25f, -4, 7, 8};
    EXPECT_EQ(g.develop(x), (std::vector<float>{0.25f, -4, 7, 8, 1, 1, 0, 0}));
  }
}

// At kernel version 3 a factorized tensor is developed on the kernels: each entry of A.B is the
// fma chain over the rank in order (the definition, computed here scalar), for a dense weight
// and a conv kernel (the transposed layout); versions 1 and 2 keep Eigen's product, equal to
// it within float rounding.
TEST(Genome, Version3DevelopsFactorsAsTheFmaChainOverTheRank) {
  // The expected entries of A (rows x rank) . B (rank x cols) read from genotype x at `at`.
  const auto product = [](const std::vector<float>& x, size_t at, int64_t rows, int64_t rank, int64_t cols) {
    const float* a = x.data() + at;
    const float* b = a + rows * rank;
    std::vector<float> m(static_cast<size_t>(rows * cols));
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        float acc = 0.0f;
        for (int64_t r = 0; r < rank; ++r) acc = std::fma(a[i * rank + r], b[r * cols + j], acc);
        m[static_cast<size_t>(i * cols + j)] = acc;
      }
    }
    return m;
  };
  const auto develop_both = [](Genome& g, const std::vector<float>& x) {
    g.set_kernel_version(1);
    const std::vector<float> v1 = g.develop(x);
    g.set_kernel_version(3);
    const std::vector<float> v3 = g.develop(x);
    EXPECT_EQ(v1.size(), v3.size());
    for (size_t i = 0; i < v1.size() && i < v3.size(); ++i) {
      EXPECT_NEAR(v1[i], v3[i], 1e-5 * (1.0 + std::abs(v1[i]))) << i;
    }
    return v3;
  };
  {
    // Conv in 3, out 5, 3x3: M = A (27 x 6) . B (6 x 5), kernel[o][i] = M(i, o).
    Genome g = make(R"([{"type": "conv", "in": 3, "out": 5, "kernel": [3, 3], "bias": false}])", factorized(6));
    std::vector<float> x = g.init(4);
    g.mutate(x, 5);
    const auto m = product(x, 0, 27, 6, 5);
    std::vector<float> want;
    for (int64_t o = 0; o < 5; ++o) {
      for (int64_t i = 0; i < 27; ++i) want.push_back(m[static_cast<size_t>(i * 5 + o)]);
    }
    EXPECT_TRUE(same_bits(develop_both(g, x), want));
  }
  {
    // Dense 45 -> 37: W = A (37 x 6) . B (6 x 45), then the bias copied.
    Genome g = make(R"([{"type": "dense", "in": 45, "out": 37}])", factorized(6));
    std::vector<float> x = g.init(6);
    g.mutate(x, 7);
    std::vector<float> want = product(x, 0, 37, 6, 45);
    want.insert(want.end(), x.end() - 37, x.end());
    EXPECT_TRUE(same_bits(develop_both(g, x), want));
  }
}

TEST(Genome, WrongSizesAndSettingsAreRefused) {
  const Genome g = make(R"([{"type": "dense", "in": 2, "out": 2}])", {});
  std::vector<float> x(5);
  EXPECT_THROW(g.mutate(x, 1), Error);
  EXPECT_THROW(g.develop(x), Error);
  const auto arch = parse_architecture(json::parse(R"([{"type": "dense", "in": 2, "out": 2}])"), std::nullopt);
  try {
    Genome(arch, {}, {}, 2);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnimplemented);
  }
  Representation bad = factorized(0);
  EXPECT_THROW(Genome(arch, bad, {}, 1), Error);
  EXPECT_THROW(Genome(arch, {}, {-0.1, 0.0}, 1), Error);
  EXPECT_THROW(Genome(arch, {}, {0.1, std::nan("")}, 1), Error);
}

TEST(Genome, ChecksumIsXxh64OfLittleEndianFloatBytes) {
  // XXH64 of no bytes with seed 0 is 0xEF46DB3751D8E999 (the xxHash reference value).
  EXPECT_EQ(Genome::checksum({}), 0xEF46DB3751D8E999ULL);
  const std::vector<float> v = {1.0f, -2.5f};
  const unsigned char bytes[] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0};
  EXPECT_EQ(Genome::checksum(v), XXH64(bytes, sizeof bytes, 0));
  EXPECT_NE(Genome::checksum(v), Genome::checksum(std::vector<float>{1.0f, -2.5000002f}));
}

// Computing the same mutation on two threads (each half of every block) gives the same bits
// as one mutate() call: every element depends on its own coordinates only.
TEST(Genome, GenotypeBitsDoNotDependOnThreadCount) {
  const Genome g = make(R"([{"type": "dense", "in": 300, "out": 301}, {"type": "dense", "out": 7}])", factorized(3),
                        {0.05, 0.01});
  const auto start = g.init(9);
  auto one = start;
  g.mutate(one, 1234);
  auto two = start;
  std::vector<std::thread> threads;
  for (int half = 0; half < 2; ++half) {
    threads.emplace_back([&, half] {
      for (size_t bi = 0; bi < g.blocks().size(); ++bi) {
        const Block& b = g.blocks()[bi];
        const size_t mid = b.size / 2 + 1;  // odd split points exercise block boundaries
        const size_t from = half == 0 ? 0 : std::min(mid, b.size);
        const size_t to = half == 0 ? std::min(mid, b.size) : b.size;
        noise::add_scaled_v1(1234, static_cast<uint32_t>(bi), from, b.mutation_std,
                             std::span(two).subspan(b.offset + from, to - from));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(same_bits(one, two));
}

TEST(Genome, BuildMlpMapsRowMajorWeights) {
  const auto arch = parse_architecture(
      json::parse(R"([{"type": "dense", "in": 3, "out": 2, "activation": "relu"}, {"type": "dense", "out": 1, "bias": false}])"),
      std::nullopt);
  const std::vector<float> p = {1, 2, 3, 4, 5, 6, 0.5f, -100, 2, -1};
  for (const int version : {1, 3}) {  // Eigen, and the version-3 kernels: both exact here
    const auto mlp = build_mlp(arch, p, version);
    EXPECT_EQ(mlp.kernel_version(), version);
    ASSERT_EQ(mlp.layers().size(), 2u);
    EXPECT_EQ(mlp.layers()[0].weight(0, 2), 3.0f);
    EXPECT_EQ(mlp.layers()[0].weight(1, 0), 4.0f);
    EXPECT_EQ(mlp.layers()[0].bias(1), -100.0f);
    EXPECT_EQ(mlp.layers()[1].bias.size(), 0);
    const std::vector<float> in = {1, 1, 1};
    std::vector<float> out(1);
    auto scratch = mlp.make_scratch();
    mlp.forward(in, out, scratch);
    // relu([6.5, -85]) = [6.5, 0]; 2 * 6.5 - 1 * 0 = 13.
    EXPECT_EQ(out[0], 13.0f) << "version " << version;
  }
  EXPECT_THROW(build_mlp(arch, std::vector<float>(9), 3), Error);
  EXPECT_THROW(build_mlp(arch, p, 4), Error);  // an unknown kernel version
  const auto conv = parse_architecture(json::parse(R"([{"type": "conv", "in": 1, "out": 1, "kernel": 1}])"), 1);
  EXPECT_THROW(build_mlp(conv, std::vector<float>(2), 3), Error);
}

// Golden checksums of init + three mutations on a small architecture, direct and factorized
// (tests/golden/golden_values.hpp says where they came from). The same values must hold in
// Debug, Release and any other build type, on any x86-64 machine (the genotype path is
// float32, elementwise, without FMA); tests/golden/golden_check.cpp checks them at -O0.
// Never change them: stored lineages depend on them.
TEST(Genome, GoldenGenotypeChecksumsHoldInEveryBuildType) {
  for (const auto& c : golden::kGenomeChecksums) {
    SCOPED_TRACE(c.name);
    const Genome g = make(golden::kGenomeNetwork, c.factorized_rank > 0 ? factorized(c.factorized_rank) : Representation{},
                          {golden::kGenomeMutationRate, golden::kGenomeBiasStd});
    auto x = g.init(golden::kGenomeInitSeed);
    for (const uint64_t s : golden::kGenomeMutateSeeds) g.mutate(x, s);
    EXPECT_EQ(Genome::checksum(x), c.checksum) << std::hex << "0x" << Genome::checksum(x);
  }
}

TEST(GenomeForCondition, UsesTheTaskForInputAndOutputSizes) {
  const auto spec = evolve::parse_experiment(R"({"name": "t", "task": {"type": "cartpole"},
      "ga": {"mutation_rate": 0.02},
      "conditions": [{"name": "d", "representation": {"type": "direct"}},
                     {"name": "f", "representation": {"type": "factorized", "rank": 1}, "ga": {"bias_std": 0.3}}]})",
                                             "test");
  const Genome d = genome_for_condition(spec.conditions[0], 1);
  ASSERT_EQ(d.architecture().tensors.size(), 4u);  // the default network: one hidden tanh layer
  EXPECT_EQ(d.architecture().tensors[0].shape, (std::vector<int64_t>{32, 4}));
  EXPECT_EQ(d.architecture().tensors[2].shape, (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(d.blocks()[1].mutation_std, static_cast<float>(default_bias_std(0.02)));
  const Genome f = genome_for_condition(spec.conditions[1], 1);
  EXPECT_EQ(f.representation().type, Representation::Type::kFactorized);
  EXPECT_EQ(f.blocks()[2].name, "layers.0.bias");
  EXPECT_EQ(f.blocks()[2].mutation_std, 0.3f);
  EXPECT_THROW(genome_for_condition(spec.conditions[0], 2), Error);

  auto sphere = spec.conditions[0];
  sphere.task = {{"type", "sphere"}};
  sphere.network = json::parse(R"([{"type": "dense", "out": 4}])");
  try {
    genome_for_condition(sphere, 1);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("network[0].in: is required", 0), 0u) << e.what();
  }
  sphere.network = json::parse(R"([{"type": "dense", "in": 4, "out": 4, "bias": false}])");
  EXPECT_EQ(genome_for_condition(sphere, 1).phenotype_size(), 16u);
}

TEST(ExportFormat, ParsesNames) {
  EXPECT_EQ(parse_export_format("npy"), ExportFormat::kNpy);
  EXPECT_EQ(parse_export_format("safetensors"), ExportFormat::kSafetensors);
  try {
    parse_export_format("pt");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("'pt'"), std::string::npos);
  }
}

}  // namespace
}  // namespace seedline::genome
