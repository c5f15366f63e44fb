#include "stats/effect_sizes.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "stats/rank_tests.hpp"
#include "stats/sample_checks.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean_of(std::span<const double> v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Two-pass sample standard deviation (ddof = 1), as numpy's std; needs n >= 2.
double sd_of(std::span<const double> v, double mean) {
  double ss = 0;
  for (const double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

}  // namespace

double glass_delta(std::span<const double> a, std::span<const double> b) {
  check_sample(a, "first sample");
  check_sample(b, "control sample");
  if (b.size() < 2) return kNaN;
  const double mb = mean_of(b);
  // IEEE division gives the documented ±infinity / NaN when the control has no spread.
  return (mean_of(a) - mb) / sd_of(b, mb);
}

double a12(std::span<const double> a, std::span<const double> b) {
  // U counts the pairs won by a plus half the tied pairs, which is A12's numerator.
  const double U = mann_whitney_u(a, b, MwuMethod::kAsymptotic).U;
  return U / (static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

std::vector<double> holm(std::span<const double> p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
      invalid_argument("Holm adjustment: p-value at index " + std::to_string(i) + " is " +
                       std::to_string(p[i]) + ", not in [0, 1]");
    }
  }
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  std::vector<double> adjusted(p.size());
  const auto m = static_cast<double>(p.size());
  double running = 0;
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const double scaled = std::min(1.0, (m - static_cast<double>(rank)) * p[order[rank]]);
    running = std::max(running, scaled);
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

MeanCi mean_ci95(std::span<const double> values) {
  check_sample(values, "sample");
  MeanCi ci;
  ci.n = static_cast<int>(values.size());
  ci.mean = mean_of(values);
  if (values.size() < 2) {
    ci.lo = ci.hi = kNaN;
    return ci;
  }
  const double sem = sd_of(values, ci.mean) / std::sqrt(static_cast<double>(values.size()));
  const boost::math::students_t_distribution<double> t(static_cast<double>(values.size() - 1));
  const double q = boost::math::quantile(boost::math::complement(t, 0.025));
  ci.lo = ci.mean - q * sem;
  ci.hi = ci.mean + q * sem;
  return ci;
}

}  // namespace seedline::stats
