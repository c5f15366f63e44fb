#include "stats/experiment_metric.hpp"

#include <string>

#include "util/error.hpp"

namespace seedline::stats {

std::string_view metric_name(Metric metric) {
  switch (metric) {
    case Metric::kBest: return "best";
    case Metric::kMean: return "mean";
    case Metric::kMedian: return "median";
  }
  return "best";
}

Metric parse_metric(std::string_view name) {
  for (auto m : {Metric::kBest, Metric::kMean, Metric::kMedian}) {
    if (name == metric_name(m)) return m;
  }
  invalid_argument("unknown metric '" + std::string(name) + "' (expected best, mean or median)");
}

double metric_value(const store::GenerationMetrics& row, Metric metric) {
  switch (metric) {
    case Metric::kBest: return row.best;
    case Metric::kMean: return row.mean;
    case Metric::kMedian: return row.median;
  }
  return row.best;
}

}  // namespace seedline::stats
