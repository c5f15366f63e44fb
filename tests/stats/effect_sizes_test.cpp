// A12, Holm, Glass's delta and the mean CI on hand-worked examples, and the documented
// behaviour of every stats function on degenerate input (errors vs NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "stats/effect_sizes.hpp"
#include "stats/rank_tests.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

using V = std::vector<double>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Runs `f`, expecting Error(kInvalidArgument) whose message contains each of `parts`.
template <typename F>
void expect_invalid(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(A12, HandWorkedExamples) {
  // a = {1, 2, 3}, b = {2, 4}: of the 6 pairs a wins (3, 2) and ties (2, 2): (1 + 0.5) / 6.
  EXPECT_DOUBLE_EQ(a12(V{1, 2, 3}, V{2, 4}), 0.25);
  EXPECT_DOUBLE_EQ(a12(V{2, 4}, V{1, 2, 3}), 0.75);  // A12(b, a) = 1 - A12(a, b)
  EXPECT_DOUBLE_EQ(a12(V{5, 6}, V{1, 2}), 1.0);
  EXPECT_DOUBLE_EQ(a12(V{1, 2}, V{5, 6}), 0.0);
  EXPECT_DOUBLE_EQ(a12(V{7, 7, 7}, V{7}), 0.5);
  // {1, 3, 5} vs {2, 4}: a wins (3,2), (5,2), (5,4) = 3 of 6.
  EXPECT_DOUBLE_EQ(a12(V{1, 3, 5}, V{2, 4}), 0.5);
}

TEST(Holm, HandWorkedExamples) {
  struct Case {
    const char* name;
    V p, expected;
  };
  const Case cases[] = {
      // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 -> max(0.06, 0.04).
      {"step_down_with_monotone_max", {0.01, 0.04, 0.03, 0.005}, {0.03, 0.06, 0.06, 0.02}},
      // 0.2·2 = 0.4, then 0.5·1 = 0.5.
      {"two", {0.5, 0.2}, {0.5, 0.4}},
      // 0.6·2 = 1.2 capped at 1; the running maximum keeps 0.7 at 1.
      {"capped_at_one", {0.6, 0.7}, {1.0, 1.0}},
      // Tied p-values get the same adjustment whatever their order: 0.02·3 = 0.06.
      {"ties", {0.02, 0.5, 0.02}, {0.06, 0.5, 0.06}},
      {"single", {0.03}, {0.03}},
      {"empty", {}, {}},
  };
  for (const auto& c : cases) {
    const auto got = holm(c.p);
    ASSERT_EQ(got.size(), c.expected.size()) << c.name;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], c.expected[i], 1e-15) << c.name << " [" << i << "]";
  }
  expect_invalid([] { holm(V{0.1, kNaN}); }, {"index 1"});
  expect_invalid([] { holm(V{1.5}); }, {"index 0", "not in [0, 1]"});
  expect_invalid([] { holm(V{-0.01}); }, {"index 0"});
}

TEST(GlassDelta, HandWorkedAndDegenerate) {
  // mean(a) = 5, mean(b) = 2, sd(b) = 1.
  EXPECT_DOUBLE_EQ(glass_delta(V{4, 6}, V{1, 2, 3}), 3.0);
  // mean(a) = 2, mean(b) = 5, sd(b) = √2.
  EXPECT_DOUBLE_EQ(glass_delta(V{1, 2, 3}, V{4, 6}), -3.0 / std::sqrt(2.0));
  EXPECT_TRUE(std::isnan(glass_delta(V{1, 2}, V{3})));  // control needs 2 values
  EXPECT_EQ(glass_delta(V{5}, V{2, 2}), kInf);           // control without spread
  EXPECT_EQ(glass_delta(V{1}, V{2, 2}), -kInf);
  EXPECT_TRUE(std::isnan(glass_delta(V{2}, V{2, 2})));
}

TEST(MeanCi, StudentTNotNormal) {
  // x = {1, 2, 3}: mean 2, sd 1, sem 1/√3. With 2 degrees of freedom the t quantile has a
  // closed form, t(0.975, 2) = 0.95 / √(2·0.975·0.025) = 4.302652729749462 (scipy's t.ppf
  // says 4.302652729911275, 4e-11 off), so the bounds are 2 ∓ 2.4841377117503312. A
  // 1.96 interval would be less than half as wide.
  const auto ci = mean_ci95(V{1, 2, 3});
  EXPECT_EQ(ci.n, 3);
  EXPECT_DOUBLE_EQ(ci.mean, 2.0);
  EXPECT_NEAR(ci.lo, -0.48413771175033116, 1e-14);
  EXPECT_NEAR(ci.hi, 4.484137711750331, 1e-14);

  const auto one = mean_ci95(V{4.5});
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.mean, 4.5);
  EXPECT_TRUE(std::isnan(one.lo) && std::isnan(one.hi));
  const auto flat = mean_ci95(V{3, 3, 3});
  EXPECT_EQ(flat.lo, 3.0);
  EXPECT_EQ(flat.hi, 3.0);
}

TEST(StatsDegenerate, EmptyAndNonFiniteInputsAreErrorsNamingTheSampleAndIndex) {
  expect_invalid([] { mann_whitney_u(V{}, V{1, 2}); }, {"first sample", "empty"});
  expect_invalid([] { mann_whitney_u(V{1}, V{}); }, {"second sample", "empty"});
  expect_invalid([] { mann_whitney_u(V{1, 2, kNaN}, V{1}); }, {"first sample", "index 2", "NaN"});
  expect_invalid([] { ranksums(V{1}, V{kInf, 1}); }, {"second sample", "index 0", "infinite"});
  expect_invalid([] { kruskal({V{1, 2}, V{3, kNaN}}); }, {"group 1", "index 1", "NaN"});
  expect_invalid([] { kruskal({V{1, 2}, V{}}); }, {"group 1", "empty"});
  expect_invalid([] { kruskal({V{1, 2}}); }, {"at least 2 groups"});
  expect_invalid([] { glass_delta(V{1}, V{kNaN, 2}); }, {"control sample", "index 0"});
  expect_invalid([] { a12(V{}, V{1}); }, {"empty"});
  expect_invalid([] { mean_ci95(V{}); }, {"empty"});
  expect_invalid([] { mean_ci95(V{1, -kInf}); }, {"index 1", "infinite"});
  expect_invalid([] { parse_mwu_method("fast"); }, {"'fast'"});
}

TEST(StatsDegenerate, IdenticalValuesFollowScipyOrGiveNaN) {
  // scipy 1.10: mannwhitneyu([3,3,3], [3,3]) gives U = 3, p = 1 for every method (the
  // asymptotic variance is 0, z = -inf); ranksums gives z = 0, p = 1.
  for (const auto method : {MwuMethod::kExact, MwuMethod::kAsymptotic, MwuMethod::kAuto}) {
    const auto r = mann_whitney_u(V{3, 3, 3}, V{3, 3}, method);
    EXPECT_EQ(r.U, 3.0) << mwu_method_name(method);
    EXPECT_EQ(r.p, 1.0) << mwu_method_name(method);
  }
  EXPECT_EQ(mann_whitney_u(V{3, 3, 3}, V{3, 3}).method_used, MwuMethod::kAsymptotic);  // ties
  const auto rs = ranksums(V{3, 3, 3}, V{3, 3});
  EXPECT_EQ(rs.z, 0.0);
  EXPECT_EQ(rs.p, 1.0);
  // scipy raises "All numbers are identical in kruskal"; seedline reports NaN so a
  // comparison of conditions that all hit the same score still prints.
  const auto kw = kruskal({V{3, 3}, V{3, 3, 3}});
  EXPECT_TRUE(std::isnan(kw.H));
  EXPECT_TRUE(std::isnan(kw.p));
}

TEST(StatsDegenerate, SingleValuesWork) {
  // scipy 1.10: mannwhitneyu([1], [2]) -> U = 0, p = 1 (all methods); kruskal([1], [2]) ->
  // H = 1, p = 0.31731050786291115, 1e-14 from the exact chi-square(1) survival at 1,
  // erfc(1/√2) = 0.3173105078629141, which Boost gives.
  const auto r = mann_whitney_u(V{1}, V{2});
  EXPECT_EQ(r.U, 0.0);
  EXPECT_EQ(r.p, 1.0);
  EXPECT_EQ(r.method_used, MwuMethod::kExact);
  const auto kw = kruskal({V{1}, V{2}});
  EXPECT_NEAR(kw.H, 1.0, 1e-15);
  EXPECT_NEAR(kw.p, 0.3173105078629141, 1e-16);
}

}  // namespace
}  // namespace seedline::stats
