// Rank tests for comparing conditions: Mann-Whitney U, the Wilcoxon rank-sum z and
// Kruskal-Wallis H, defined to match scipy.stats 1.10 (mannwhitneyu, ranksums, kruskal)
// to a relative 1e-9; docs/statistics.md gives the formulas and the checks behind them.
//
// All functions are pure and thread-safe. Input rules, shared by every function here:
//   - a sample (group) with no values throws Error(kInvalidArgument) naming it;
//   - a NaN or infinite value throws Error(kInvalidArgument) naming the sample and index;
//   - data on which a statistic is undefined give NaN, never an exception: kruskal when
//     every value is identical (scipy raises there) — see each function.
// Samples are identified in messages as "first sample"/"second sample" or "group i".
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seedline::stats {

// How mann_whitney_u computes its p-value.
enum class MwuMethod {
  // scipy 1.10's rule: asymptotic when both samples have more than 8 values or any value is
  // tied (within or across samples); exact otherwise. One seedline deviation: when the exact
  // distribution would be too costly to count (see kExact) auto falls back to asymptotic.
  kAuto,
  // The exact null distribution of U, counted (no tie correction, as scipy). Throws
  // Error(kInvalidArgument) when counting would take more than about a second: both
  // samples above about 200 values, or over 8 million possible U values below the observed
  // one (e.g. 3 against 6 million).
  kExact,
  // Normal approximation with tie-corrected variance and continuity correction.
  kAsymptotic,
};

// "auto", "exact", "asymptotic".
std::string_view mwu_method_name(MwuMethod method);
// Inverse of mwu_method_name; throws Error(kInvalidArgument) naming `name` otherwise.
MwuMethod parse_mwu_method(std::string_view name);

struct MwuResult {
  double U = 0;  // U of the first sample: pairs (x, y) with x > y, plus half the ties
  double p = 0;  // two-sided, in [0, 1]
  MwuMethod method_used = MwuMethod::kAsymptotic;  // kExact or kAsymptotic, never kAuto
};

// Two-sided Mann-Whitney U test of `a` against `b`, as
// scipy.stats.mannwhitneyu(a, b, alternative='two-sided', method=...). When every value is
// equal the asymptotic p is 1 (scipy's value: a zero variance sends z to -inf).
MwuResult mann_whitney_u(std::span<const double> a, std::span<const double> b,
                         MwuMethod method = MwuMethod::kAuto);

struct RanksumsResult {
  double z = 0;  // standardized rank sum of the first sample, no tie or continuity correction
  double p = 0;  // two-sided normal p-value
};

// scipy.stats.ranksums(a, b): defined for all valid input (z = 0 when all values are equal).
RanksumsResult ranksums(std::span<const double> a, std::span<const double> b);

struct KruskalResult {
  double H = 0;  // tie-corrected; NaN when every value is identical
  double p = 0;  // chi-square (groups - 1 degrees of freedom) survival; NaN with H
};

// scipy.stats.kruskal(*groups). Needs at least 2 groups (Error(kInvalidArgument) otherwise).
KruskalResult kruskal(const std::vector<std::vector<double>>& groups);

// P(U <= k) under the null hypothesis for samples of sizes m and n (no ties): the exact
// distribution behind MwuMethod::kExact, exposed for tests. k < 0 gives 0, k >= m·n gives 1.
// Throws Error(kInvalidArgument) for m or n < 1 and when counting would be too costly.
double mwu_null_cdf(long long k, int m, int n);

namespace detail {
// The counting algorithms behind mwu_null_cdf, exposed so tests can cross-check them; each
// returns nullopt where it cannot answer (and throws like mwu_null_cdf on m or n < 1).
// Exact integer counts; nullopt when C(m+n, m) >= 2^128 or k is beyond the memory limit.
std::optional<double> mwu_null_cdf_int128(long long k, int m, int n);
// Floating-point recursion, additions only; nullopt when it would take too long.
std::optional<double> mwu_null_cdf_recursive(long long k, int m, int n);
// The first of the two that answers.
std::optional<double> try_mwu_null_cdf(long long k, int m, int n);
}  // namespace detail

}  // namespace seedline::stats
