// The rank tests, Glass's delta and the mean CI against SciPy 1.10.1 reference values.
// tests/stats/golden_vectors.json is written by tests/stats/make_golden.py (run it with
// /usr/bin/python3; it records the scipy/numpy versions and the seed it used). The contract
// is a relative difference of at most 1e-9 (absolute for reference values of exactly 0).
// One exception, explained in the script: the mean CI's reference t quantile is scipy's
// t.ppf refined by Newton steps, because t.ppf itself is only good to ~1e-9.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stats/effect_sizes.hpp"
#include "stats/rank_tests.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

constexpr double kRelTol = 1e-9;

const nlohmann::json& golden() {
  static const nlohmann::json doc = [] {
    const std::string path = std::string(SEEDLINE_SOURCE_DIR) + "/tests/stats/golden_vectors.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
  }();
  return doc;
}

void expect_close(double actual, double expected, const std::string& what) {
  if (expected == 0.0) {
    EXPECT_LE(std::abs(actual), 1e-12) << what << ": expected 0, got " << actual;
    return;
  }
  const double rel = std::abs(actual - expected) / std::abs(expected);
  EXPECT_LE(rel, kRelTol) << what << ": expected " << expected << ", got " << actual
                          << " (relative difference " << rel << ")";
}

std::vector<double> vec(const nlohmann::json& j) { return j.get<std::vector<double>>(); }

TEST(StatsGolden, FileHasTheCasesItPromises) {
  EXPECT_EQ(golden()["generator"]["scipy"], "1.10.1");
  EXPECT_GE(golden()["two_sample"].size(), 60u);
  EXPECT_GE(golden()["kruskal"].size(), 16u);
  EXPECT_GE(golden()["mean_ci"].size(), 9u);
}

TEST(StatsGolden, MannWhitneyExact) {
  for (const auto& c : golden()["two_sample"]) {
    const std::string name = c["name"];
    const auto r = mann_whitney_u(vec(c["a"]), vec(c["b"]), MwuMethod::kExact);
    expect_close(r.U, c["U"], name + " U");
    expect_close(r.p, c["p_exact"], name + " exact p");
    EXPECT_EQ(r.method_used, MwuMethod::kExact) << name;
  }
}

TEST(StatsGolden, MannWhitneyAsymptotic) {
  for (const auto& c : golden()["two_sample"]) {
    const std::string name = c["name"];
    const auto r = mann_whitney_u(vec(c["a"]), vec(c["b"]), MwuMethod::kAsymptotic);
    expect_close(r.U, c["U"], name + " U");
    expect_close(r.p, c["p_asymptotic"], name + " asymptotic p");
    EXPECT_EQ(r.method_used, MwuMethod::kAsymptotic) << name;
  }
}

TEST(StatsGolden, MannWhitneyAutoPicksScipysMethod) {
  for (const auto& c : golden()["two_sample"]) {
    const std::string name = c["name"];
    const auto r = mann_whitney_u(vec(c["a"]), vec(c["b"]), MwuMethod::kAuto);
    expect_close(r.p, c["p_auto"], name + " auto p");
    const std::string used = c["auto_method"];
    if (used != "either") {
      EXPECT_EQ(mwu_method_name(r.method_used), used) << name;
    }
  }
}

TEST(StatsGolden, RanksumsAndGlassDelta) {
  for (const auto& c : golden()["two_sample"]) {
    const std::string name = c["name"];
    const auto r = ranksums(vec(c["a"]), vec(c["b"]));
    expect_close(r.z, c["ranksums_z"], name + " ranksums z");
    expect_close(r.p, c["ranksums_p"], name + " ranksums p");
    expect_close(glass_delta(vec(c["a"]), vec(c["b"])), c["glass_delta"], name + " glass delta");
  }
}

TEST(StatsGolden, KruskalWallis) {
  for (const auto& c : golden()["kruskal"]) {
    const std::string name = c["name"];
    const auto r = kruskal(c["groups"].get<std::vector<std::vector<double>>>());
    expect_close(r.H, c["H"], name + " H");
    expect_close(r.p, c["p"], name + " p");
  }
}

TEST(StatsGolden, MeanStudentTInterval) {
  for (const auto& c : golden()["mean_ci"]) {
    const std::string name = c["name"];
    const auto x = vec(c["x"]);
    const auto ci = mean_ci95(x);
    EXPECT_EQ(ci.n, static_cast<int>(x.size())) << name;
    expect_close(ci.mean, c["mean"], name + " mean");
    expect_close(ci.lo, c["lo"], name + " lo");
    expect_close(ci.hi, c["hi"], name + " hi");
    // scipy's own t.interval carries its t.ppf's ~1e-9 relative error (see make_golden.py).
    EXPECT_NEAR(ci.lo, c["lo_scipy_ppf"].get<double>(), 1e-8 * std::abs(ci.hi - ci.lo)) << name;
    EXPECT_NEAR(ci.hi, c["hi_scipy_ppf"].get<double>(), 1e-8 * std::abs(ci.hi - ci.lo)) << name;
  }
}

// Sizes where C(m+n, m) crosses 2^128 switch from exact integer counts to the
// floating-point recursion; where both can answer they must agree.
TEST(MwuNullDistribution, IntegerAndRecursiveCountsAgree) {
  struct Case { int m, n; };
  for (const Case c : {Case{1, 1}, Case{3, 5}, Case{8, 40}, Case{30, 30}, Case{60, 64}, Case{5, 900}}) {
    const long long mn = static_cast<long long>(c.m) * c.n;
    for (const long long k : {0LL, 1LL, mn / 7, mn / 3, mn / 2, mn - 1}) {
      const auto exact = detail::mwu_null_cdf_int128(k, c.m, c.n);
      const auto recursive = detail::mwu_null_cdf_recursive(k, c.m, c.n);
      ASSERT_TRUE(exact.has_value()) << c.m << "x" << c.n;
      ASSERT_TRUE(recursive.has_value()) << c.m << "x" << c.n;
      expect_close(*recursive, *exact, "m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
                                           " k=" + std::to_string(k));
    }
  }
  EXPECT_FALSE(detail::mwu_null_cdf_int128(100, 70, 70).has_value());  // C(140, 70) > 2^128
}

TEST(MwuNullDistribution, SmallDistributionsByHand) {
  // m = n = 2: the 6 arrangements give U = 0, 1, 2, 2, 3, 4.
  EXPECT_DOUBLE_EQ(mwu_null_cdf(-1, 2, 2), 0.0);
  EXPECT_DOUBLE_EQ(mwu_null_cdf(0, 2, 2), 1.0 / 6);
  EXPECT_DOUBLE_EQ(mwu_null_cdf(1, 2, 2), 2.0 / 6);
  EXPECT_DOUBLE_EQ(mwu_null_cdf(2, 2, 2), 4.0 / 6);
  EXPECT_DOUBLE_EQ(mwu_null_cdf(3, 2, 2), 5.0 / 6);
  EXPECT_DOUBLE_EQ(mwu_null_cdf(4, 2, 2), 1.0);
  // One value against n: U is uniform on 0..n.
  EXPECT_DOUBLE_EQ(mwu_null_cdf(3, 1, 9), 4.0 / 10);
  // Tail precision: P(U = 0) = 1 / C(60, 30) = 8.4e-18, far below double's epsilon at 1.
  expect_close(mwu_null_cdf(0, 30, 30), 1.0 / 118264581564861424.0, "1/C(60,30)");
}

TEST(MwuNullDistribution, RefusesWhatItCannotCount) {
  EXPECT_THROW(mwu_null_cdf(0, 0, 5), Error);
  EXPECT_THROW(mwu_null_cdf(80000, 400, 400), Error);  // too costly: an error, not minutes
  // A requested exact test fails the same way; auto falls back to the normal approximation.
  std::vector<double> a(400), b(400);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<double>(2 * i);
    b[i] = static_cast<double>(2 * i + 1);
  }
  EXPECT_THROW(mann_whitney_u(a, b, MwuMethod::kExact), Error);
  // 8 values (so auto would pick exact) in the middle of 300000: C(300008, 8) > 2^128 and
  // the recursion would need ~1e12 steps.
  std::vector<double> small;
  for (int i = 0; i < 8; ++i) small.push_back(150000.5 + i);
  std::vector<double> huge(300000);
  for (size_t i = 0; i < huge.size(); ++i) huge[i] = static_cast<double>(i) + 0.25;
  const auto r = mann_whitney_u(small, huge, MwuMethod::kAuto);
  EXPECT_EQ(r.method_used, MwuMethod::kAsymptotic);
  EXPECT_GT(r.p, 0.0);
}

}  // namespace
}  // namespace seedline::stats
