// Which per-generation summary an experiment is compared or plotted on: a run's best, mean
// or median fitness of a generation (the columns of the generations table).
//
// Pure and thread-safe. parse_metric throws Error(kInvalidArgument) naming the value.
#pragma once

#include <string_view>

#include "store/summary_repo.hpp"

namespace seedline::stats {

enum class Metric { kBest, kMean, kMedian };

// "best" | "mean" | "median".
std::string_view metric_name(Metric metric);
Metric parse_metric(std::string_view name);
// The metric's value in one generation summary.
double metric_value(const store::GenerationMetrics& row, Metric metric);

}  // namespace seedline::stats
