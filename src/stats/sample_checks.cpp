#include "stats/sample_checks.hpp"

#include <cmath>

#include "util/error.hpp"

namespace seedline::stats {

void check_sample(std::span<const double> values, const std::string& what) {
  if (values.empty()) invalid_argument(what + " is empty");
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      invalid_argument(what + ": value at index " + std::to_string(i) + " is " +
                       (std::isnan(values[i]) ? "NaN" : "infinite") + " (values must be finite)");
    }
  }
}

}  // namespace seedline::stats
