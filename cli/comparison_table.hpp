// The human-readable table of a stats::Comparison, shared by `seedline stats` and
// `seedline compare`: Kruskal-Wallis, per-group mean with its Student-t CI, then every pair.
#pragma once

#include <ostream>
#include <string>

#include "stats/compare.hpp"

namespace seedline::cli {

// A number for a table: "-" for an undefined statistic; `format` is a printf format.
std::string format_number(double v, const char* format = "%.4g");
// `s` padded with spaces to `width`, and at least one space.
std::string pad(std::string s, size_t width);

void print_comparison_table(std::ostream& out, const stats::Comparison& comparison);

}  // namespace seedline::cli
