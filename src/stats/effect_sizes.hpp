// Effect sizes, the mean's confidence interval and Holm's multiple-comparison adjustment:
// the numbers that accompany the rank tests when conditions are compared.
//
// All functions are pure and thread-safe. Empty samples, NaN or infinite values throw
// Error(kInvalidArgument) naming the sample and index; well-formed data on which a quantity
// is undefined give NaN (or ±infinity), as each declaration says. JSON output turns those
// into null.
#pragma once

#include <span>
#include <vector>

namespace seedline::stats {

// Glass's delta of `a` against the control `b`: (mean(a) - mean(b)) / sd(b), sd with ddof 1.
// NaN when b has fewer than 2 values; ±infinity when sd(b) = 0 and the means differ, NaN
// when they are equal too.
double glass_delta(std::span<const double> a, std::span<const double> b);

// Vargha-Delaney A12: P(x > y) + 0.5·P(x = y) for x drawn from a, y from b. 0.5 means no
// effect; 1 means every value of a beats every value of b. Equals U / (|a|·|b|).
double a12(std::span<const double> a, std::span<const double> b);

// Holm's step-down adjustment of p-values, returned in the order given: the i-th smallest p
// is multiplied by (m - i + 1), a running maximum keeps the results monotone, and each is
// capped at 1. Each p must lie in [0, 1] (Error(kInvalidArgument) naming the index).
std::vector<double> holm(std::span<const double> p);

struct MeanCi {
  double mean = 0;
  double lo = 0;  // mean ± t(0.975, n-1)·sd/√n, Student-t with n-1 degrees of freedom;
  double hi = 0;  // both NaN when n < 2, both equal to mean when every value is equal
  int n = 0;
};

// Mean with a two-sided 95% Student-t confidence interval, as
// scipy.stats.t.interval(0.95, n-1, loc=mean, scale=sem).
MeanCi mean_ci95(std::span<const double> values);

}  // namespace seedline::stats
