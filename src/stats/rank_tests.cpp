// Mann-Whitney U, rank-sum z and Kruskal-Wallis H. The arithmetic follows scipy 1.10's
// order of operations where that matters for the last digits (H in particular subtracts two
// large terms), so the golden values agree far inside the 1e-9 contract.
#include "stats/rank_tests.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "stats/sample_checks.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Midranks (1-based, ties share the mean of their positions) of the concatenation of
// `parts`, plus sum(t^3 - t) over tie groups.
struct Ranking {
  std::vector<double> ranks;
  double tie_term = 0;
};

Ranking rank_all(std::initializer_list<std::span<const double>> parts) {
  std::vector<double> values;
  for (auto part : parts) values.insert(values.end(), part.begin(), part.end());
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return values[x] < values[y]; });
  Ranking r;
  r.ranks.resize(values.size());
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    // Positions start+1 .. end share their mean rank.
    const double rank = 0.5 * static_cast<double>(start + 1 + end);
    for (size_t i = start; i < end; ++i) r.ranks[order[i]] = rank;
    const auto t = static_cast<double>(end - start);
    r.tie_term += t * t * t - t;
    start = end;
  }
  return r;
}

double normal_sf(double z) {
  return boost::math::cdf(boost::math::complement(boost::math::normal_distribution<double>(), z));
}

MwuMethod choose_method(size_t n1, size_t n2, const Ranking& ranking) {
  if (n1 > 8 && n2 > 8) return MwuMethod::kAsymptotic;
  if (ranking.tie_term > 0) return MwuMethod::kAsymptotic;
  return MwuMethod::kExact;
}

// scipy's asymptotic p: continuity-corrected z of the larger U, tie-corrected variance.
double asymptotic_p(double U, double n1, double n2, double tie_term) {
  const double mu = n1 * n2 / 2;
  const double n = n1 + n2;
  const double s = std::sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))));
  // All values tied: s = 0 and U = mu, so z = -inf and the p-value is 1 (as in scipy).
  if (!(s > 0)) return 1.0;
  const double z = (U - mu - 0.5) / s;
  return std::min(1.0, 2 * normal_sf(z));
}

}  // namespace

std::string_view mwu_method_name(MwuMethod method) {
  switch (method) {
    case MwuMethod::kAuto: return "auto";
    case MwuMethod::kExact: return "exact";
    case MwuMethod::kAsymptotic: return "asymptotic";
  }
  return "unknown";
}

MwuMethod parse_mwu_method(std::string_view name) {
  for (auto m : {MwuMethod::kAuto, MwuMethod::kExact, MwuMethod::kAsymptotic}) {
    if (name == mwu_method_name(m)) return m;
  }
  invalid_argument("unknown Mann-Whitney method '" + std::string(name) +
                   "' (expected auto, exact or asymptotic)");
}

MwuResult mann_whitney_u(std::span<const double> a, std::span<const double> b, MwuMethod method) {
  check_sample(a, "first sample");
  check_sample(b, "second sample");
  const Ranking ranking = rank_all({a, b});
  const auto n1 = static_cast<double>(a.size());
  const auto n2 = static_cast<double>(b.size());
  double r1 = 0;
  for (size_t i = 0; i < a.size(); ++i) r1 += ranking.ranks[i];
  MwuResult result;
  result.U = r1 - n1 * (n1 + 1) / 2;
  const double u_max = std::max(result.U, n1 * n2 - result.U);

  const MwuMethod chosen =
      method == MwuMethod::kAuto ? choose_method(a.size(), b.size(), ranking) : method;
  if (chosen == MwuMethod::kExact) {
    const auto m = static_cast<int>(a.size());
    const auto n = static_cast<int>(b.size());
    // scipy truncates a tied (half-integer) U before looking it up, then takes
    // P(U >= u) = P(U <= mn - u) by symmetry, doubled for two sides.
    const auto u = static_cast<long long>(u_max);
    const long long k = static_cast<long long>(m) * n - u;
    if (const auto cdf = detail::try_mwu_null_cdf(k, m, n)) {
      result.p = std::min(1.0, 2 * *cdf);
      result.method_used = MwuMethod::kExact;
      return result;
    }
    // Too costly to count: a requested exact test fails; auto uses the normal approximation.
    if (method == MwuMethod::kExact) {
      invalid_argument("exact Mann-Whitney p-value for sample sizes " + std::to_string(m) +
                       " and " + std::to_string(n) + " is too costly to count; use the asymptotic method");
    }
  }
  result.p = asymptotic_p(u_max, n1, n2, ranking.tie_term);
  result.method_used = MwuMethod::kAsymptotic;
  return result;
}

RanksumsResult ranksums(std::span<const double> a, std::span<const double> b) {
  check_sample(a, "first sample");
  check_sample(b, "second sample");
  const Ranking ranking = rank_all({a, b});
  const auto n1 = static_cast<double>(a.size());
  const auto n2 = static_cast<double>(b.size());
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += ranking.ranks[i];
  const double expected = n1 * (n1 + n2 + 1) / 2.0;
  RanksumsResult r;
  r.z = (s - expected) / std::sqrt(n1 * n2 * (n1 + n2 + 1) / 12.0);
  r.p = 2 * normal_sf(std::abs(r.z));
  return r;
}

KruskalResult kruskal(const std::vector<std::vector<double>>& groups) {
  if (groups.size() < 2) {
    invalid_argument("Kruskal-Wallis needs at least 2 groups, got " + std::to_string(groups.size()));
  }
  std::vector<double> all;
  for (size_t g = 0; g < groups.size(); ++g) {
    check_sample(groups[g], "group " + std::to_string(g));
    all.insert(all.end(), groups[g].begin(), groups[g].end());
  }
  const Ranking ranking = rank_all({std::span<const double>(all)});
  const auto total = static_cast<double>(all.size());
  const double ties = 1.0 - ranking.tie_term / (total * total * total - total);
  if (ties == 0) return {kNaN, kNaN};  // every value identical: no ranking information

  double ssbn = 0;
  size_t offset = 0;
  for (const auto& group : groups) {
    double sum = 0;
    for (size_t i = 0; i < group.size(); ++i) sum += ranking.ranks[offset + i];
    ssbn += sum * sum / static_cast<double>(group.size());
    offset += group.size();
  }
  KruskalResult r;
  r.H = 12.0 / (total * (total + 1)) * ssbn - 3 * (total + 1);
  r.H /= ties;
  const double df = static_cast<double>(groups.size() - 1);
  // Rounding can leave H a hair below zero when the mean ranks are all equal.
  r.p = r.H <= 0 ? 1.0
                 : boost::math::cdf(boost::math::complement(
                       boost::math::chi_squared_distribution<double>(df), r.H));
  return r;
}

}  // namespace seedline::stats
