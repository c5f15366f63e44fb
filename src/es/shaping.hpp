// Evolution strategies: fitness shaping, from raw fitnesses to the weights of the update.
//
// centered_ranks (Salimans et al.): member i's rank among the population, 0 for the lowest
// fitness to N-1 for the highest, ties sharing their average rank and NaN ranked below every
// number; shaped = rank / (N - 1) - 0.5, in [-0.5, 0.5], summing to 0. zscore: (f - mean) / std
// with the population std (ddof 0); all zero when std is 0. Both are computed in double and
// rounded once to float32 (docs/es.md).
//
// Pure functions: safe from any thread. Failure: zscore throws kFailedPrecondition naming the
// member when a fitness is NaN or infinite (it has no z-score); an empty input gives an empty
// output.
#pragma once

#include <span>
#include <vector>

#include "evolve/algorithm.hpp"

namespace seedline::es {

std::vector<float> centered_ranks(std::span<const double> fitness);
std::vector<float> zscores(std::span<const double> fitness);
std::vector<float> shape(evolve::EsSettings::Shaping shaping, std::span<const double> fitness);

}  // namespace seedline::es
