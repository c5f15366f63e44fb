// ES building blocks (src/es/): member plans, fitness shaping by hand, perturbation symmetry,
// thread-count independence of the update, and EGGROLL's forward against member genotypes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "es/members.hpp"
#include "es/perturbation.hpp"
#include "es/shaping.hpp"
#include "es/update.hpp"
#include "evolve/seeds.hpp"
#include "genome/genome.hpp"
#include "nn/lowrank_dense.hpp"
#include "noise/noise.hpp"
#include "runner/thread_pool.hpp"
#include "util/error.hpp"

namespace seedline::es {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

genome::Genome dense_genome(int in, int out, bool bias = true) {
  const json net = json::array({{{"type", "dense"}, {"in", in}, {"out", out}, {"bias", bias}}});
  return genome::Genome(genome::parse_architecture(net, std::nullopt), genome::parse_representation({{"type", "direct"}}),
                        genome::MutationSettings{}, noise::kNewestVersion);
}

evolve::EsSettings es_settings(const json& j) { return evolve::parse_algorithm(j, "algorithm").es; }

TEST(EsMembers, AntitheticPairsShareSeedsWithOppositeSigns) {
  const auto members = plan_members(7, 3, 6, true);
  ASSERT_EQ(members.size(), 6u);
  std::set<uint64_t> seeds;
  for (int p = 0; p < 3; ++p) {
    const auto& plus = members[static_cast<size_t>(2 * p)];
    const auto& minus = members[static_cast<size_t>(2 * p + 1)];
    EXPECT_EQ(plus.seed, minus.seed);
    EXPECT_EQ(plus.sign, 1.0f);
    EXPECT_EQ(minus.sign, -1.0f);
    EXPECT_EQ(plus.perturbation, p);
    // The documented derivation: (run seed, generation, perturbation index).
    EXPECT_EQ(plus.seed, evolve::derive(7, evolve::Stream::kEsMemberSeed, 3, static_cast<uint32_t>(p)));
    seeds.insert(plus.seed);
  }
  EXPECT_EQ(seeds.size(), 3u);
  EXPECT_NE(plan_members(7, 4, 6, true)[0].seed, members[0].seed);  // a new generation, new noise
  const auto plain = plan_members(7, 3, 3, false);
  EXPECT_EQ(plain[1].seed, members[2].seed);  // perturbation 1 either way
  EXPECT_EQ(plain[1].sign, 1.0f);
}

TEST(EsMembers, OddAntitheticPopulationIsRefused) {
  try {
    plan_members(1, 0, 5, true);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("even"));
  }
}

// By hand: fitness (3, 1, NaN, 3, 7) ranks NaN 0, 1 -> 1, the two 3s share (2 + 3) / 2 = 2.5,
// 7 -> 4; shaped = rank / 4 - 0.5.
TEST(EsShaping, CenteredRanksAverageTiesAndRankNaNLowest) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> f{3, 1, nan, 3, 7};
  EXPECT_THAT(centered_ranks(f), ::testing::ElementsAre(0.125f, -0.25f, -0.5f, 0.125f, 0.5f));
  EXPECT_THAT(centered_ranks(std::vector<double>{4}), ::testing::ElementsAre(0.0f));
}

// By hand: (1, 2, 3, 6): mean 3, population std sqrt((4 + 1 + 0 + 9) / 4) = sqrt(3.5).
TEST(EsShaping, ZscoresUsePopulationStdAndRefuseNaN) {
  const auto z = zscores(std::vector<double>{1, 2, 3, 6});
  const double sd = std::sqrt(3.5);
  EXPECT_FLOAT_EQ(z[0], static_cast<float>(-2 / sd));
  EXPECT_FLOAT_EQ(z[3], static_cast<float>(3 / sd));
  EXPECT_THAT(zscores(std::vector<double>{5, 5, 5}), ::testing::ElementsAre(0.0f, 0.0f, 0.0f));
  try {
    zscores(std::vector<double>{1, std::numeric_limits<double>::quiet_NaN()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    EXPECT_THAT(e.what(), HasSubstr("member 1"));
  }
}

// Full perturbation: member = center + s * eps exactly as add_scaled_v1 computes it, and the
// antithetic partner mirrors it.
TEST(EsPerturbation, FullMembersAreCenterPlusScaledNoise) {
  const auto genome = dense_genome(5, 4);
  const Perturbation p(genome, es_settings({{"type", "es"}, {"sigma", 0.25}}));
  const auto center = genome.init(3);
  std::vector<float> plus(center.size()), minus(center.size());
  p.perturb(center, 99, 1.0f, plus);
  p.perturb(center, 99, -1.0f, minus);
  const auto eps = p.dense_noise(99);
  for (size_t i = 0; i < center.size(); ++i) {
    EXPECT_EQ(plus[i], center[i] + 0.25f * eps[i]) << i;
    EXPECT_EQ(minus[i], center[i] + -0.25f * eps[i]) << i;
  }
}

TEST(EsPerturbation, LowRankAppliesToMatricesAndLeavesBiasesFull) {
  const auto genome = dense_genome(6, 4);
  const Perturbation p(genome, es_settings({{"type", "es"}, {"perturbation", {{"type", "lowrank"}, {"rank", 2}}}}));
  ASSERT_EQ(p.blocks().size(), 2u);
  EXPECT_TRUE(p.blocks()[0].lowrank);
  EXPECT_EQ(p.blocks()[0].rows, 4);
  EXPECT_EQ(p.blocks()[0].cols, 6);
  EXPECT_EQ(p.blocks()[0].factor_size(), static_cast<size_t>((4 + 6) * 2));
  EXPECT_FALSE(p.blocks()[1].lowrank);
  // A low-rank eps has rank <= 2: every 3x3 minor vanishes (to float rounding).
  const auto eps = p.dense_noise(5);
  const auto e = [&](int r, int c) { return static_cast<double>(eps[static_cast<size_t>(r * 6 + c)]); };
  const double minor = e(0, 0) * (e(1, 1) * e(2, 2) - e(1, 2) * e(2, 1)) - e(0, 1) * (e(1, 0) * e(2, 2) - e(1, 2) * e(2, 0)) +
                       e(0, 2) * (e(1, 0) * e(2, 1) - e(1, 1) * e(2, 0));
  EXPECT_NEAR(minor, 0.0, 1e-4);
}

// The update's work is split by elements and row blocks, never inside one element's sum: the
// same bits on 1 and 3 threads, full and low-rank, over a genome large enough for many chunks.
TEST(EsUpdate, SameBitsOnOneAndThreeThreads) {
  const auto genome = dense_genome(200, 150);
  runner::ThreadPool pool(3);
  const ParallelFor three = [&](size_t n, const std::function<void(size_t, int)>& fn) { pool.parallel_for(n, fn); };
  for (const json& perturbation : {json{{"type", "full"}}, json{{"type", "lowrank"}, {"rank", 3}}}) {
    const auto es = es_settings({{"type", "es"}, {"optimizer", "adam"}, {"weight_decay", 0.01},
                                 {"perturbation", perturbation}});
    const Perturbation p(genome, es);
    const auto members = plan_members(12, 0, 16, true);
    std::vector<double> fitness;
    for (size_t i = 0; i < members.size(); ++i) fitness.push_back(std::sin(static_cast<double>(i) * 1.7));
    std::vector<float> c1 = genome.init(1), c3 = c1;
    auto s1 = initial_state(es, c1.size()), s3 = s1;
    for (int g = 0; g < 2; ++g) {
      update_center(es, p, members, fitness, c1, s1, serial());
      update_center(es, p, members, fitness, c3, s3, three);
    }
    EXPECT_EQ(0, std::memcmp(c1.data(), c3.data(), c1.size() * sizeof(float))) << perturbation.dump();
    EXPECT_EQ(s1, s3) << perturbation.dump();
  }
}

// The low-rank gradient is docs/es.md's fixed-order sum bit for bit: per element, from +0, the
// terms (w_i * A_i[j][t]) * B_i[k][t] added in member order, then t, each a float multiply and
// a float add (no FMA), times float(1 / (N sigma sqrt(r))). 70 columns and 45 rows take the
// update's 16-column register strips, its scalar tail and a partial block of rows.
TEST(EsUpdate, LowRankGradientIsTheFixedOrderSumBitForBit) {
  const int in = 70, out = 45, population = 12, rank = 2;
  const float sigma = 0.2f;
  const auto genome = dense_genome(in, out);
  const auto es = es_settings({{"type", "es"}, {"sigma", sigma}, {"perturbation", {{"type", "lowrank"}, {"rank", rank}}}});
  const Perturbation p(genome, es);
  const auto members = plan_members(9, 1, population, true);
  std::vector<float> shaped;
  for (int i = 0; i < population; ++i) shaped.push_back(static_cast<float>(std::cos(1.3 * i)) * 0.37f);
  const auto g = estimate_gradient(p, members, shaped);
  int checked = 0;
  for (const auto& b : p.blocks()) {
    if (!b.lowrank) continue;
    ASSERT_GE(b.cols, 16);
    const float scale = static_cast<float>(
        1.0 / (static_cast<double>(population) * static_cast<double>(sigma) * std::sqrt(static_cast<double>(rank))));
    std::vector<std::vector<float>> factors;
    for (const auto& m : members) {
      std::vector<float> f(b.factor_size());
      p.factors(b, m.seed, f);
      factors.push_back(f);
    }
    for (int64_t j = 0; j < b.rows; ++j) {
      for (int64_t k = 0; k < b.cols; ++k) {
        float acc = 0.0f;
        for (size_t i = 0; i < members.size(); ++i) {
          const float w = members[i].sign < 0 ? -shaped[i] : shaped[i];
          const auto& f = factors[i];
          for (int t = 0; t < rank; ++t) {
            const float coef = w * f[static_cast<size_t>(j * rank + t)];
            const float term = coef * f[static_cast<size_t>(b.rows * rank + k * rank + t)];
            acc = acc + term;
          }
        }
        const float want = acc * scale;
        const float got = g[b.offset + static_cast<size_t>(j * b.cols + k)];
        ASSERT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want)) << "row " << j << " column " << k;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, in * out);
}

// EGGROLL's forward with es::Perturbation's factors and scale sign * sigma / sqrt(r) equals the
// plain forward of each member's perturbed genotype (to 1e-5 of the output scale).
TEST(EsPerturbation, LowRankForwardIsTheForwardOfEachMember) {
  const int in = 24, out = 16, batch = 5, population = 6, rank = 2;
  const auto genome = dense_genome(in, out);
  const auto es = es_settings({{"type", "es"}, {"sigma", 0.3}, {"perturbation", {{"type", "lowrank"}, {"rank", rank}}}});
  const Perturbation p(genome, es);
  const auto center = genome.init(8);
  const auto members = plan_members(5, 2, population, true);
  const auto& wblock = p.blocks()[0];
  std::vector<float> a, b, scale;
  for (int set = 0; set < population / 2; ++set) {
    std::vector<float> f(wblock.factor_size());
    p.factors(wblock, members[static_cast<size_t>(2 * set)].seed, f);
    a.insert(a.end(), f.begin(), f.begin() + out * rank);
    b.insert(b.end(), f.begin() + out * rank, f.end());
  }
  for (const auto& m : members) scale.push_back(static_cast<float>(m.sign * 0.3 / std::sqrt(2.0)));
  std::vector<float> x(static_cast<size_t>(population * batch * in));
  noise::fill_v1(77, 0, 0, x);
  const std::span<const float> w(center.data(), static_cast<size_t>(out * in));
  const std::span<const float> bias(center.data() + out * in, static_cast<size_t>(out));
  const nn::DenseShape shape{population, batch, in, out};
  std::vector<float> y(static_cast<size_t>(population * batch * out));
  nn::lowrank_forward(shape, x, w, bias, {rank, true, a, b, scale}, y);
  std::vector<float> genotype(center.size()), ym(static_cast<size_t>(batch * out));
  for (int m = 0; m < population; ++m) {
    // The member's bias is perturbed too (full noise); both forwards here take the center's
    // bias, so they compare the weight path, which is what lowrank_forward computes.
    p.perturb(center, members[static_cast<size_t>(m)].seed, members[static_cast<size_t>(m)].sign, genotype);
    const std::span<const float> xm(x.data() + m * batch * in, static_cast<size_t>(batch * in));
    nn::dense_forward({1, batch, in, out}, xm, std::span<const float>(genotype.data(), static_cast<size_t>(out * in)),
                      bias, ym);
    for (int i = 0; i < batch * out; ++i) {
      const float got = y[static_cast<size_t>(m * batch * out + i)];
      EXPECT_NEAR(got, ym[static_cast<size_t>(i)], 1e-5 * (1 + std::fabs(ym[static_cast<size_t>(i)]))) << m << " " << i;
    }
  }
}

}  // namespace
}  // namespace seedline::es
