// The kernels of versions 2 and 3 (docs/kernels.md): every instruction path this CPU runs gives
// the same bits (gemm, gemm_bias_rows and gemv with every tail shape, exp, the Table 1 language
// models' fitness on a small corpus, and version-3 MLP and conv policy outputs), on any thread
// count; exp and log against the C library's double-precision functions
// (the independent reference; tolerances stated at each check); SEEDLINE_KERNELS refuses what it
// cannot honour, naming the variable and the paths the CPU has. The float64 PyTorch reference of
// the version-2 transformer is in tests/nn/transformer_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "genome/genome.hpp"
#include "genome/policy_network.hpp"
#include "genome/transformer_spec.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/kernels.hpp"
#include "kernels/version.hpp"
#include "nn/transformer.hpp"
#include "noise/noise.hpp"
#include "support/process.hpp"
#include "util/error.hpp"

namespace seedline::kernels {
namespace {

using nlohmann::json;

// Restores the process-wide path after a test that forces one.
class PathGuard {
 public:
  PathGuard() : saved_(active_path()) {}
  ~PathGuard() { set_path(saved_); }
  PathGuard(const PathGuard&) = delete;
  PathGuard& operator=(const PathGuard&) = delete;

 private:
  Path saved_;
};

std::vector<uint32_t> bits(const std::vector<float>& v) {
  std::vector<uint32_t> out;
  for (const float f : v) out.push_back(std::bit_cast<uint32_t>(f));
  return out;
}

TEST(KernelPaths, PortableIsAlwaysSupportedAndTheBestPathIsTheWidest) {
  const auto paths = supported_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), Path::kPortable);
  EXPECT_EQ(best_path(), paths.back());
  // The project machine (and CI) has AVX-512; say so when a machine lacks a path, since the
  // cross-path checks below then compare fewer paths.
  if (paths.size() < 3) std::cerr << "note: this CPU runs " << paths.size() << " of the 3 kernel paths\n";
}

TEST(KernelVersions, OnlyKnownVersionsAreAccepted) {
  EXPECT_TRUE(supports(1));
  EXPECT_TRUE(supports(2));
  EXPECT_TRUE(supports(3));
  EXPECT_FALSE(supports(0));
  EXPECT_FALSE(supports(4));
  try {
    require_supported(4);
    FAIL() << "kernel version 4 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnimplemented);
    EXPECT_NE(std::string(e.what()).find("kernel version 4 is not known to this seedline (it knows 1..3)"),
              std::string::npos)
        << e.what();
  }
}

TEST(KernelPaths, SeedlineRefusesAnUnknownOrUnsupportedPathAtStart) {
  auto r = testing::run_seedline({"--version"}, "", {}, {"SEEDLINE_KERNELS=sse9"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("SEEDLINE_KERNELS: unknown kernel path 'sse9'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("this CPU has portable"), std::string::npos) << r.err;
  for (const Path p : {Path::kPortable, Path::kAvx2, Path::kAvx512}) {
    r = testing::run_seedline({"--version"}, "", {}, {std::string("SEEDLINE_KERNELS=") + path_name(p)});
    if (path_supported(p)) {
      EXPECT_EQ(r.exit_code, 0) << path_name(p) << ": " << r.err;
    } else {
      EXPECT_EQ(r.exit_code, 1) << path_name(p);
      EXPECT_NE(r.err.find("SEEDLINE_KERNELS: this CPU cannot run"), std::string::npos) << r.err;
    }
  }
}

TEST(KernelPaths, TheEnvironmentPicksThePath) {
  PathGuard guard;
  ::setenv("SEEDLINE_KERNELS", "portable", 1);
  check_environment();
  EXPECT_EQ(active_path(), Path::kPortable);
  ::setenv("SEEDLINE_KERNELS", "avx-512", 1);
  EXPECT_THROW(check_environment(), Error);
  ::unsetenv("SEEDLINE_KERNELS");
  check_environment();
  EXPECT_EQ(active_path(), best_path());
}

// exp on [-87, 0] against double-precision std::exp: within 2 ulp of float (relative 2.4e-7),
// and the same bits on every path (x = 0 gives exactly 1).
TEST(KernelExp, AccurateAndTheSameOnEveryPath) {
  std::vector<float> x;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-87.0f, 0.0f);
  for (int i = 0; i < 20000; ++i) x.push_back(u(rng));
  for (const float f : {0.0f, -0.0f, -1e-30f, -0.34657359f, -0.34657360f, -1.0f, -86.99f, -87.0f}) x.push_back(f);
  x.push_back(-1000.0f);  // below the floor: taken as -87
  std::vector<float> reference;
  for (const Path p : supported_paths()) {
    std::vector<float> out(x.size());
    exp_nonpositive_with(p, x.data(), static_cast<int64_t>(x.size()), out.data());
    if (reference.empty()) {
      reference = out;
      double worst = 0;
      for (size_t i = 0; i + 1 < x.size(); ++i) {
        const double want = std::exp(static_cast<double>(x[i]));
        worst = std::max(worst, std::abs(out[i] - want) / want);
      }
      EXPECT_LT(worst, 2.4e-7);
      EXPECT_EQ(out[x.size() - 9], 1.0f);
      EXPECT_EQ(out.back(), out[x.size() - 2]);  // -1000 reads as -87
    } else {
      EXPECT_EQ(bits(out), bits(reference)) << path_name(p);
    }
  }
  // NaN passes through.
  const float nan = std::nanf("");
  float out = 0;
  for (const Path p : supported_paths()) {
    exp_nonpositive_with(p, &nan, 1, &out);
    EXPECT_TRUE(std::isnan(out)) << path_name(p);
  }
}

TEST(KernelLog, AgreesWithTheCLibraryToDoublePrecision) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 20000; ++i) {
    const double x = std::ldexp(1.0 + static_cast<double>(rng() >> 11) * 0x1p-53, static_cast<int>(rng() % 200) - 100);
    EXPECT_NEAR(log_fixed(x), std::log(x), 4e-16 * std::max(1.0, std::abs(std::log(x)))) << x;
  }
  EXPECT_EQ(log_fixed(1.0), 0.0);
  EXPECT_NEAR(log_fixed(2051.0), std::log(2051.0), 1e-15);
  EXPECT_NEAR(log_fixed(5e-324), std::log(5e-324), 1e-13);
  EXPECT_TRUE(std::isnan(log_fixed(std::nan(""))));
  EXPECT_TRUE(std::isnan(log_fixed(0.0)));
  EXPECT_TRUE(std::isnan(log_fixed(-1.0)));
  EXPECT_EQ(log_fixed(INFINITY), INFINITY);
}

// exp_fixed and sincos_fixed (the rotary table of kernel version 3) against the C library,
// the independent reference: within 2 ulp for exp, 1e-15 absolute for sin/cos up to 1e5.
TEST(KernelExpDouble, AgreesWithTheCLibraryWithinTwoUlp) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const double x = -740.0 + 1449.0 * static_cast<double>(rng() >> 11) * 0x1p-53;  // [-740, 709]
    const double want = std::exp(x), got = exp_fixed(x);
    EXPECT_LE(std::abs(got - want), 2.0 * (std::nextafter(want, INFINITY) - want)) << x;
  }
  for (const double x : {0.0, -9.210340371976184, 1.0, -1.0, 700.0, -708.0}) {
    EXPECT_NEAR(exp_fixed(x), std::exp(x), 3e-16 * std::exp(x)) << x;
  }
  EXPECT_EQ(exp_fixed(0.0), 1.0);
  EXPECT_EQ(exp_fixed(800.0), INFINITY);
  EXPECT_EQ(exp_fixed(-800.0), 0.0);
  EXPECT_TRUE(std::isnan(exp_fixed(std::nan(""))));
}

TEST(KernelSinCos, AgreesWithTheCLibraryUpToPositionsOf100000) {
  std::mt19937_64 rng(6);
  double worst = 0;
  for (int i = 0; i < 40000; ++i) {
    const double x = (i % 2 ? 4.0 : 1e5) * (2.0 * static_cast<double>(rng() >> 11) * 0x1p-53 - 1.0);
    double s = 0, c = 0;
    sincos_fixed(x, &s, &c);
    worst = std::max({worst, std::abs(s - std::sin(x)), std::abs(c - std::cos(x))});
  }
  EXPECT_LT(worst, 1e-15);
  // The rotary angles themselves: position p times 10000^(-2i/HD), every p < 100,000.
  for (int64_t p = 0; p < 100000; p += 7) {
    for (const double theta : {1.0, 0.01, exp_fixed(-0.25 * log_fixed(10000.0))}) {
      double s = 0, c = 0;
      sincos_fixed(static_cast<double>(p) * theta, &s, &c);
      ASSERT_NEAR(s, std::sin(static_cast<double>(p) * theta), 1e-15) << p;
      ASSERT_NEAR(c, std::cos(static_cast<double>(p) * theta), 1e-15) << p;
    }
  }
  double s = 1, c = 0;
  sincos_fixed(0.0, &s, &c);
  EXPECT_EQ(s, 0.0);
  EXPECT_EQ(c, 1.0);
}

// gemm: every path the same bits for shapes with every kind of tail (rows not a multiple of
// the register block, columns not a multiple of any vector width), and each output equal to a
// scalar fma chain in k order starting from the bias, which is the definition.
TEST(KernelGemm, EveryPathComputesTheDefinedFmaChain) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (const auto& [n, k, m] : std::vector<std::array<int64_t, 3>>{
           {1, 1, 1}, {7, 32, 16}, {13, 32, 4}, {9, 16, 32}, {33, 128, 32}, {5, 32, 128}, {17, 3, 2051}, {8, 5, 47},
           // more than one row panel (192) and block of k (256): the chains continue across blocks
           {200, 600, 41}, {197, 257, 9}, {3, 1000, 130},
           // weight rows more than 1024 floats apart, blocks of k over 64 rows read by several
           // row blocks: packed in groups of column blocks (a 3 + 1 vector tail split 2 + 2, a
           // partial last vector; 300 = a packed block of 256 and one of 44 read in place)
           {40, 300, 1100}, {9, 260, 1081}, {197, 100, 1030}}) {
    const int64_t ldw = padded(m);
    std::vector<float> x(static_cast<size_t>(n * k)), wt(static_cast<size_t>(k * ldw), 0.0f),
        bias(static_cast<size_t>(ldw), 0.0f);
    for (auto& v : x) v = g(rng);
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int64_t o = 0; o < m; ++o) wt[static_cast<size_t>(kk * ldw + o)] = g(rng);
    }
    for (int64_t o = 0; o < m; ++o) bias[static_cast<size_t>(o)] = g(rng);
    std::vector<float> want(static_cast<size_t>(n * m));
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t o = 0; o < m; ++o) {
        float acc = bias[static_cast<size_t>(o)];
        for (int64_t kk = 0; kk < k; ++kk) {
          acc = std::fma(x[static_cast<size_t>(r * k + kk)], wt[static_cast<size_t>(kk * ldw + o)], acc);
        }
        want[static_cast<size_t>(r * m + o)] = acc;
      }
    }
    for (const Path p : supported_paths()) {
      // A sentinel column after each row checks that nothing beyond m is written.
      std::vector<float> y(static_cast<size_t>(n * (m + 1)), 42.0f);
      gemm_with(p, x.data(), k, n, k, wt.data(), ldw, m, bias.data(), y.data(), m + 1);
      std::vector<float> got;
      for (int64_t r = 0; r < n; ++r) {
        got.insert(got.end(), y.begin() + r * (m + 1), y.begin() + r * (m + 1) + m);
        EXPECT_EQ(y[static_cast<size_t>(r * (m + 1) + m)], 42.0f) << path_name(p) << " wrote past column " << m;
      }
      EXPECT_EQ(bits(got), bits(want)) << path_name(p) << " n=" << n << " k=" << k << " m=" << m;
      // The same product in two pieces: gemm over the first third of k, then gemm_accumulate
      // continuing every chain over the rest.
      const int64_t k1 = k / 3;
      std::vector<float> split(static_cast<size_t>(n * m), 0.0f);
      gemm_with(p, x.data(), k, n, k1, wt.data(), ldw, m, bias.data(), split.data(), m);
      gemm_accumulate_with(p, x.data() + k1, k, n, k - k1, wt.data() + k1 * ldw, ldw, m, split.data(), m);
      EXPECT_EQ(bits(split), bits(want)) << path_name(p) << " split at " << k1 << ", n=" << n << " k=" << k;
    }
  }
}

// gemm_bias_rows (the version-3 conv) and gemv (the version-3 dense layer): every path the same
// bits as the definition, a scalar fma chain in k order from the bias (per row for
// gemm_bias_rows, per column for gemv), with tails of every width and no bias.
TEST(KernelGemm, BiasRowsAndGemvComputeTheDefinedFmaChainOnEveryPath) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (const auto& [n, k, m] : std::vector<std::array<int64_t, 3>>{
           {1, 1, 1}, {32, 768, 400}, {64, 512, 81}, {5, 9, 49}, {3, 4, 64}, {1, 64, 2}, {7, 3, 129}, {9, 17, 200}}) {
    const int64_t ldw = padded(m);
    std::vector<float> x(static_cast<size_t>(n * k)), wt(static_cast<size_t>(k * ldw), 0.0f);
    for (auto& v : x) v = g(rng);
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int64_t o = 0; o < m; ++o) wt[static_cast<size_t>(kk * ldw + o)] = g(rng);
    }
    std::vector<float> row_bias(static_cast<size_t>(n)), col_bias(static_cast<size_t>(ldw), 0.0f);
    for (auto& v : row_bias) v = g(rng);
    for (int64_t o = 0; o < m; ++o) col_bias[static_cast<size_t>(o)] = g(rng);
    for (const bool with_bias : {true, false}) {
      std::vector<float> want_rows(static_cast<size_t>(n * m)), want_gemv(static_cast<size_t>(m));
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t o = 0; o < m; ++o) {
          float acc = with_bias ? row_bias[static_cast<size_t>(r)] : 0.0f;
          float acc1 = with_bias ? col_bias[static_cast<size_t>(o)] : 0.0f;
          for (int64_t kk = 0; kk < k; ++kk) {
            acc = std::fma(x[static_cast<size_t>(r * k + kk)], wt[static_cast<size_t>(kk * ldw + o)], acc);
            acc1 = std::fma(x[static_cast<size_t>(kk)], wt[static_cast<size_t>(kk * ldw + o)], acc1);
          }
          want_rows[static_cast<size_t>(r * m + o)] = acc;
          if (r == 0) want_gemv[static_cast<size_t>(o)] = acc1;
        }
      }
      for (const Path p : supported_paths()) {
        const std::string where = std::string(path_name(p)) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                                  " m=" + std::to_string(m) + (with_bias ? "" : " without bias");
        std::vector<float> y(static_cast<size_t>(n * (m + 1)), 42.0f);
        gemm_bias_rows_with(p, x.data(), k, n, k, wt.data(), ldw, m, with_bias ? row_bias.data() : nullptr, y.data(),
                            m + 1);
        std::vector<float> got;
        for (int64_t r = 0; r < n; ++r) {
          got.insert(got.end(), y.begin() + r * (m + 1), y.begin() + r * (m + 1) + m);
          EXPECT_EQ(y[static_cast<size_t>(r * (m + 1) + m)], 42.0f) << where << " wrote past column " << m;
        }
        EXPECT_EQ(bits(got), bits(want_rows)) << "gemm_bias_rows " << where;
        std::vector<float> v(static_cast<size_t>(m + 1), 42.0f);
        gemv_with(p, x.data(), k, wt.data(), ldw, m, with_bias ? col_bias.data() : nullptr, v.data());
        EXPECT_EQ(v.back(), 42.0f) << "gemv " << where << " wrote past " << m;
        v.pop_back();
        EXPECT_EQ(bits(v), bits(want_gemv)) << "gemv " << where;
        // gemv is gemm with one row.
        std::vector<float> one(static_cast<size_t>(m));
        gemm_with(p, x.data(), k, 1, k, wt.data(), ldw, m, with_bias ? col_bias.data() : nullptr, one.data(), m);
        EXPECT_EQ(bits(one), bits(want_gemv)) << "gemm n=1 " << where;
      }
    }
  }
}

// Version-3 policy networks (docs/kernels.md): a CartPole-sized MLP, a wider MLP with every
// activation, and a small Table 2-like conv net give the same output bits on every path this
// CPU runs and on 1, 2 and 3 threads at once; version 1 (Eigen) stays within float32 rounding.
struct PolicyCase {
  const char* name;
  const char* network;
  std::vector<int64_t> input;
};

class PolicyBits : public ::testing::TestWithParam<int> {};

const PolicyCase kPolicyCases[] = {
    {"cartpole_mlp", R"([{"type": "dense", "out": 64, "activation": "tanh"},
                         {"type": "dense", "out": 64, "activation": "tanh"}, {"type": "dense", "out": 2}])",
     {4}},
    {"wide_mlp", R"([{"type": "dense", "out": 150, "activation": "relu"},
                     {"type": "dense", "out": 37, "activation": "sigmoid"},
                     {"type": "dense", "out": 9, "activation": "tanh", "bias": false}, {"type": "dense", "out": 3}])",
     {300}},
    {"conv_net", R"([{"type": "conv", "out": 8, "kernel": 8, "stride": 4, "activation": "relu"},
                     {"type": "conv", "out": 16, "kernel": 4, "stride": 2, "padding": 1, "activation": "relu"},
                     {"type": "conv", "out": 16, "kernel": 3, "stride": 1, "activation": "tanh"},
                     {"type": "flatten"}, {"type": "dense", "out": 32, "activation": "relu"},
                     {"type": "dense", "out": 6}])",
     {4, 52, 52}},
};

TEST_P(PolicyBits, OutputsAreTheSameOnEveryPathAndThreadCount) {
  const PolicyCase& c = kPolicyCases[GetParam()];
  const auto arch = genome::parse_architecture(json::parse(c.network), c.input);
  genome::Genome g(arch, genome::parse_representation({{"type", "direct"}}), {0.01, 0.01}, noise::kNewestVersion);
  std::vector<float> genotype = g.init(31);
  g.mutate(genotype, 32);
  const auto phenotype = g.develop(genotype);
  const auto net = genome::build_policy_network(arch, phenotype, 3);
  std::mt19937 rng(33);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> observations(4);
  for (auto& obs : observations) {
    obs.resize(static_cast<size_t>(net->input_size()));
    for (auto& v : obs) v = normal(rng);
  }
  const auto outputs = [&] {
    std::vector<float> all;
    const auto policy = net->make_policy();
    for (const auto& obs : observations) {
      std::vector<float> out(static_cast<size_t>(net->output_size()));
      policy->act(obs, out);
      all.insert(all.end(), out.begin(), out.end());
    }
    return all;
  };
  PathGuard guard;
  std::vector<float> first;
  for (const Path p : supported_paths()) {
    set_path(p);
    const auto got = outputs();
    if (first.empty()) {
      first = got;
    } else {
      EXPECT_EQ(bits(got), bits(first)) << path_name(p);
    }
  }
  set_path(best_path());
  for (const int threads : {1, 2, 3}) {
    std::vector<std::vector<float>> got(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back([&, i] { got[static_cast<size_t>(i)] = outputs(); });
    for (auto& t : pool) t.join();
    for (const auto& o : got) EXPECT_EQ(bits(o), bits(first)) << threads << " threads";
  }
  // Version 1 computes the same network in another order: close, not necessarily equal.
  const auto v1 = genome::build_policy_network(arch, phenotype, 1);
  const auto policy = v1->make_policy();
  double scale = 0;
  for (const float f : first) scale = std::max(scale, std::fabs(static_cast<double>(f)));
  for (size_t o = 0; o < observations.size(); ++o) {
    std::vector<float> out(static_cast<size_t>(v1->output_size()));
    policy->act(observations[o], out);
    for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], first[o * out.size() + i], 1e-5 * scale) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Nets, PolicyBits, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<int>& p) { return std::string(kPolicyCases[p.param].name); });

// The Table 1 networks (examples/tinystories.json: direct, factorized, small) at kernel version 2.
const json kTable1 = {{"type", "transformer"}, {"vocab", 2051}, {"d_model", 32}, {"blocks", 3},
                      {"heads", 4},            {"head_dim", 4},  {"ff", 128},    {"activation", "relu"}};
const json kSmall = {{"type", "transformer"}, {"vocab", 2051}, {"d_model", 4}, {"blocks", 3},
                     {"heads", 4},            {"head_dim", 4},  {"ff", 16},    {"activation", "relu"}};
const json kFactorized = {{"type", "factorized"}, {"rank", 4}, {"embedding_rank", 32}, {"attention_rank", 4},
                          {"ff_rank", 4}};

struct Corpus {
  std::vector<int32_t> tokens;
  std::vector<int64_t> offsets{0};
};

// 40 sequences of 2..70 fed tokens (lengths cover every tail of the 4-, 8- and 16-wide blocks).
Corpus small_corpus() {
  std::mt19937 rng(4);
  Corpus c;
  for (int s = 0; s < 40; ++s) {
    const int len = 2 + static_cast<int>(rng() % 69);
    c.tokens.push_back(nn::kStartToken);
    for (int t = 1; t + 1 < len; ++t) c.tokens.push_back(nn::kFirstBpeToken + static_cast<int32_t>(rng() % 2048));
    c.tokens.push_back(nn::kEndToken);
    c.offsets.push_back(static_cast<int64_t>(c.tokens.size()));
  }
  return c;
}

struct Scored {
  double nats = 0;
  std::vector<double> per_sequence;
};

Scored score(const nn::TransformerWeights& w, const Corpus& c) {
  nn::TransformerWorkspace ws;
  Scored s;
  s.per_sequence.resize(c.offsets.size() - 1);
  s.nats = nn::transformer_loss(w, {c.tokens, c.offsets}, ws, s.per_sequence).nats;
  return s;
}

class Table1Bits : public ::testing::TestWithParam<int> {};

TEST_P(Table1Bits, FitnessIsTheSameOnEveryPathAndThreadCount) {
  const int which = GetParam();  // 0 direct, 1 factorized, 2 small
  const auto arch = genome::parse_architecture(json::array({which == 2 ? kSmall : kTable1}), std::nullopt);
  genome::Genome g(arch, genome::parse_representation(which == 1 ? kFactorized : json{{"type", "direct"}}),
                   {0.01, 0.01}, noise::kNewestVersion);
  g.set_kernel_version(2);
  std::vector<float> genotype = g.init(21);
  g.mutate(genotype, 22);
  const auto w = genome::transformer_weights(g, genotype);
  ASSERT_EQ(w.kernel_version, 2);
  const Corpus corpus = small_corpus();

  PathGuard guard;
  std::vector<std::pair<Path, Scored>> results;
  for (const Path p : supported_paths()) {
    set_path(p);
    results.emplace_back(p, score(w, corpus));
  }
  const Scored& first = results.front().second;
  ASSERT_TRUE(std::isfinite(first.nats));
  EXPECT_GT(first.nats, 0.0);
  // Version 2's arithmetic never changes (docs/kernels.md): the bits of these scores were
  // recorded from the version-2 code as first merged (commit 5e1b136, portable and avx2 paths
  // agreeing), before its speed work (register blocking per width, fused attention passes,
  // interleaved layer norms), which must leave every bit as it was.
  const uint64_t pinned[3] = {0x40c98e66ad991c66ULL, 0x40ca1b25bfa5e680ULL, 0x40c9a760fa8001a5ULL};
  EXPECT_EQ(std::bit_cast<uint64_t>(first.nats), pinned[which]) << first.nats;
  for (const auto& [p, s] : results) {
    EXPECT_EQ(std::bit_cast<uint64_t>(s.nats), std::bit_cast<uint64_t>(first.nats)) << path_name(p);
    for (size_t i = 0; i < s.per_sequence.size(); ++i) {
      EXPECT_EQ(std::bit_cast<uint64_t>(s.per_sequence[i]), std::bit_cast<uint64_t>(first.per_sequence[i]))
          << path_name(p) << " sequence " << i;
    }
  }
  // 1, 2 and 3 threads scoring the same network at once (the runner scores one network per
  // thread, each with its own workspace): the same bits as one thread alone.
  set_path(best_path());
  for (const int threads : {1, 2, 3}) {
    std::vector<Scored> got(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back([&, i] { got[static_cast<size_t>(i)] = score(w, corpus); });
    for (auto& t : pool) t.join();
    for (const auto& s : got) {
      EXPECT_EQ(std::bit_cast<uint64_t>(s.nats), std::bit_cast<uint64_t>(first.nats)) << threads << " threads";
    }
  }
  // Version 3 (its own rotary table; a factorized embedding developed on the kernels): the
  // same bits on every path, close to version 2.
  genome::Genome g3 = g;
  g3.set_kernel_version(3);
  const auto w3 = genome::transformer_weights(g3, genotype);
  ASSERT_EQ(w3.kernel_version, 3);
  std::vector<Scored> v3;
  for (const Path p : supported_paths()) {
    set_path(p);
    v3.push_back(score(w3, corpus));
  }
  set_path(best_path());
  for (const Scored& s : v3) {
    EXPECT_EQ(std::bit_cast<uint64_t>(s.nats), std::bit_cast<uint64_t>(v3.front().nats));
    for (size_t i = 0; i < s.per_sequence.size(); ++i) {
      EXPECT_EQ(std::bit_cast<uint64_t>(s.per_sequence[i]), std::bit_cast<uint64_t>(v3.front().per_sequence[i]));
    }
  }
  EXPECT_NEAR(v3.front().nats, first.nats, 1e-5 * first.nats);
  // Version 1 scores the same network close to version 2 (both are float32 forward passes of
  // the same model) but with its own arithmetic.
  nn::TransformerWeights v1 = genome::transformer_weights(g, genotype);
  v1.kernel_version = 1;
  const Scored old = score(v1, corpus);
  EXPECT_NEAR(old.nats, first.nats, 1e-5 * first.nats);
}

INSTANTIATE_TEST_SUITE_P(Nets, Table1Bits, ::testing::Values(0, 1, 2), [](const ::testing::TestParamInfo<int>& p) {
  return std::string(p.param == 0 ? "direct" : p.param == 1 ? "factorized" : "small");
});

TEST(KernelVersions, ANetworkOfAnUnknownVersionIsRefused) {
  const auto arch = genome::parse_architecture(json::array({kSmall}), std::nullopt);
  genome::Genome g(arch, genome::parse_representation({{"type", "direct"}}), {0.01, 0.01}, noise::kNewestVersion);
  EXPECT_THROW(g.set_kernel_version(4), Error);
  EXPECT_EQ(g.kernel_version(), 1);
  auto w = genome::transformer_weights(g, g.init(1));
  w.kernel_version = 7;
  const Corpus corpus = small_corpus();
  nn::TransformerWorkspace ws;
  try {
    nn::transformer_loss(w, {corpus.tokens, corpus.offsets}, ws);
    FAIL() << "kernel version 7 was run";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnimplemented);
  }
}

}  // namespace
}  // namespace seedline::kernels
