// The whole comparison of named groups that `seedline stats`, `seedline compare` and the
// HTTP compare endpoint print: Kruskal-Wallis over all groups, per-group mean with 95% CI,
// and for every pair (a, b) in the order the groups were given (a before b) the
// Mann-Whitney U test, the rank-sum z, Glass's delta (b the control), A12 and the
// Holm-adjusted Mann-Whitney p-value (over all pairs).
//
// Pure and thread-safe. Throws Error(kInvalidArgument) naming the group for fewer than 2
// groups, an empty group, a NaN/infinite value (with its index) or a malformed JSON input;
// undefined statistics are NaN in the structs and null in JSON (see rank_tests.hpp and
// effect_sizes.hpp for when that happens).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stats/effect_sizes.hpp"
#include "stats/rank_tests.hpp"

namespace seedline::stats {

struct Group {
  std::string name;
  std::vector<double> values;
};

struct PairComparison {
  std::string a;
  std::string b;
  MwuResult mwu;
  RanksumsResult ranksums;
  double glass_delta = 0;  // b is the control
  double a12 = 0;
  double p_holm = 0;  // Holm-adjusted mwu.p over all pairs
};

struct GroupSummary {
  std::string name;
  MeanCi mean_ci;
};

struct Comparison {
  KruskalResult kruskal;
  std::vector<GroupSummary> groups;   // in the order given
  std::vector<PairComparison> pairs;  // (0,1), (0,2), ..., (1,2), ...
};

// Compares `groups` (at least 2, names need not be unique) with the given MWU method.
Comparison compare_groups(const std::vector<Group>& groups, MwuMethod method);

// {"kruskal": {"H", "p"}, "groups": [{"name", "n", "mean", "ci95": [lo, hi]}],
//  "pairs": [{"a", "b", "mwu": {"U", "p", "method"}, "ranksums": {"z", "p"},
//             "glass_delta", "a12", "p_holm"}]}; non-finite numbers become null.
nlohmann::ordered_json to_json(const Comparison& comparison);

// Reads {"groups": {"name": [numbers], ...}} keeping the groups in document order. Throws
// Error(kInvalidArgument) naming the field for anything else (other top-level fields,
// non-array groups, non-numbers, fewer than 2 groups, empty groups).
std::vector<Group> groups_from_json(const nlohmann::ordered_json& doc);

}  // namespace seedline::stats
