#include "es/shaping.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "util/error.hpp"

namespace seedline::es {

std::vector<float> centered_ranks(std::span<const double> fitness) {
  const size_t n = fitness.size();
  std::vector<float> out(n, 0.0f);
  if (n < 2) return out;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Ascending, NaN first (lowest); equal values stay in member order (the average rank makes
  // the tie order irrelevant anyway).
  const auto less = [&](size_t a, size_t b) {
    const bool na = std::isnan(fitness[a]), nb = std::isnan(fitness[b]);
    if (na || nb) return na && !nb;
    return fitness[a] < fitness[b];
  };
  std::stable_sort(order.begin(), order.end(), less);
  const double top = static_cast<double>(n - 1);
  for (size_t start = 0; start < n;) {
    size_t end = start + 1;
    while (end < n && !less(order[start], order[end]) && !less(order[end], order[start])) ++end;
    const double rank = (static_cast<double>(start) + static_cast<double>(end - 1)) / 2.0;
    for (size_t k = start; k < end; ++k) out[order[k]] = static_cast<float>(rank / top - 0.5);
    start = end;
  }
  return out;
}

std::vector<float> zscores(std::span<const double> fitness) {
  const size_t n = fitness.size();
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(fitness[i])) {
      failed_precondition("es zscore shaping: member " + std::to_string(i) + "'s fitness is " +
                          std::to_string(fitness[i]) + "; z-scores need finite fitness values (use centered_ranks)");
    }
  }
  std::vector<float> out(n, 0.0f);
  if (n == 0) return out;
  double mean = 0;
  for (double f : fitness) mean += f;
  mean /= static_cast<double>(n);
  double ss = 0;
  for (double f : fitness) ss += (f - mean) * (f - mean);
  const double sd = std::sqrt(ss / static_cast<double>(n));
  if (!(sd > 0)) return out;
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>((fitness[i] - mean) / sd);
  return out;
}

std::vector<float> shape(evolve::EsSettings::Shaping shaping, std::span<const double> fitness) {
  return shaping == evolve::EsSettings::Shaping::kZscore ? zscores(fitness) : centered_ranks(fitness);
}

}  // namespace seedline::es
