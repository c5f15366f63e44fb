// The exact null distribution of the Mann-Whitney U statistic (no ties).
//
// The number of arrangements with U = k is the coefficient of q^k in the Gaussian binomial
// [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). Expanding that product is
// O(m·k) but subtracts, which loses precision in floating point; done in unsigned 128-bit
// integers the wrap-around of intermediate negatives cancels out (every step is a ring
// operation modulo 2^128), so the counts are exact whenever C(m+n, m) < 2^128. Beyond
// that (both samples above ~65 values) the additions-only recursion
// f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k) runs in doubles, O(m·n·k).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stats/rank_tests.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

__extension__ typedef unsigned __int128 u128;

// Limits that keep one p-value under about a second and a few hundred MB: above this many
// inner-loop steps the recursion is refused, above this many counts the integer expansion.
constexpr double kMaxRecursionWork = 1e9;
constexpr long long kMaxCounts = 1LL << 23;

void check_sizes(int m, int n) {
  if (m < 1 || n < 1) {
    invalid_argument("Mann-Whitney null distribution needs sample sizes >= 1, got " +
                     std::to_string(m) + " and " + std::to_string(n));
  }
}

}  // namespace

namespace detail {

std::optional<double> mwu_null_cdf_int128(long long k, int m, int n) {
  check_sizes(m, n);
  if (m > n) std::swap(m, n);  // the distribution is symmetric in (m, n); fewer steps
  const long long mn = static_cast<long long>(m) * n;
  if (k < 0) return 0.0;
  if (k >= mn) return 1.0;
  if (k >= kMaxCounts) return std::nullopt;
  // C(m+n, m) built as C(n+i, i) = C(n+i-1, i-1)·(n+i)/i, exact at every step.
  u128 total = 1;
  const u128 max = ~static_cast<u128>(0);
  for (int i = 1; i <= m; ++i) {
    const u128 factor = static_cast<u128>(n + i);
    if (total > max / factor) return std::nullopt;
    total = total * factor / static_cast<u128>(i);
  }
  const auto K = static_cast<size_t>(k);
  std::vector<u128> c(K + 1, 0);
  c[0] = 1;
  for (int i = 1; i <= m; ++i) {
    const auto drop = static_cast<size_t>(n + i);
    for (size_t j = K; j >= drop; --j) c[j] -= c[j - drop];
    const auto step = static_cast<size_t>(i);
    for (size_t j = step; j <= K; ++j) c[j] += c[j - step];
  }
  u128 below = 0;
  for (const u128 v : c) below += v;
  return static_cast<double>(static_cast<long double>(below) / static_cast<long double>(total));
}

std::optional<double> mwu_null_cdf_recursive(long long k, int m, int n) {
  check_sizes(m, n);
  if (m > n) std::swap(m, n);
  const long long mn = static_cast<long long>(m) * n;
  if (k < 0) return 0.0;
  if (k >= mn) return 1.0;
  const auto K = static_cast<size_t>(k);
  if (static_cast<double>(m) * n * static_cast<double>(K + 1) > kMaxRecursionWork) {
    return std::nullopt;
  }
  // f[i][k] holds f(i, j, k) for the current j; k is cut at K, which is exact because
  // the recursion only looks at smaller k.
  std::vector<std::vector<double>> f(static_cast<size_t>(m) + 1, std::vector<double>(K + 1, 0.0));
  for (auto& row : f) row[0] = 1.0;  // j = 0: only U = 0 is possible
  for (int j = 1; j <= n; ++j) {
    const auto shift = static_cast<size_t>(j);
    for (size_t i = 1; i <= static_cast<size_t>(m); ++i) {
      // Ascending i: f[i-1] already holds column j, f[i] still holds column j-1.
      for (size_t kk = shift; kk <= K; ++kk) f[i][kk] += f[i - 1][kk - shift];
    }
  }
  long double total = 1.0L;
  for (int i = 1; i <= m; ++i) total = total * static_cast<long double>(n + i) / i;
  long double below = 0.0L;
  for (const double v : f[static_cast<size_t>(m)]) below += v;
  return static_cast<double>(below / total);
}

std::optional<double> try_mwu_null_cdf(long long k, int m, int n) {
  if (auto exact = mwu_null_cdf_int128(k, m, n)) return exact;
  return mwu_null_cdf_recursive(k, m, n);
}

}  // namespace detail

double mwu_null_cdf(long long k, int m, int n) {
  if (auto p = detail::try_mwu_null_cdf(k, m, n)) return *p;
  invalid_argument("exact Mann-Whitney distribution for sample sizes " + std::to_string(m) +
                   " and " + std::to_string(n) + " is too costly to count; use the asymptotic method");
}

}  // namespace seedline::stats
