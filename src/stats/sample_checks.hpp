// Input validation shared by the stats functions (internal to src/stats/).
// Thread-safe; throws Error(kInvalidArgument) with a one-line message naming the sample.
#pragma once

#include <span>
#include <string>

namespace seedline::stats {

// Throws when `values` is empty or holds a NaN or infinite value; `what` names the sample
// in the message, e.g. "group 'direct'" -> "group 'direct': value at index 3 is NaN ...".
void check_sample(std::span<const double> values, const std::string& what);

}  // namespace seedline::stats
