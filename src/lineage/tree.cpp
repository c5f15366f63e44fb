#include "lineage/tree.hpp"

#include <string>
#include <unordered_map>

#include "util/error.hpp"

namespace seedline::lineage {

std::vector<store::IndividualRow> ancestors(store::Database& db, int64_t id) {
  std::vector<store::IndividualRow> out;
  for (auto& entry : store::ancestor_path(db, id)) out.push_back(std::move(entry.individual));
  return out;
}

MrcaResult find_mrca(store::Database& db, int64_t a, int64_t b) {
  const auto path_a = store::ancestor_path(db, a);
  const auto path_b = store::ancestor_path(db, b);
  const int64_t run_a = path_a.back().individual.run_id;
  const int64_t run_b = path_b.back().individual.run_id;
  if (run_a != run_b) {
    invalid_argument("individuals " + std::to_string(a) + " (run " + std::to_string(run_a) + ") and " +
                     std::to_string(b) + " (run " + std::to_string(run_b) +
                     ") belong to different runs, which share no ancestors");
  }
  std::unordered_map<int64_t, size_t> index_in_a;
  for (size_t i = 0; i < path_a.size(); ++i) index_in_a.emplace(path_a[i].individual.id, i);
  // Common ancestors form a shared prefix of both paths, so the first one met walking up
  // from b is the most recent.
  MrcaResult result;
  for (size_t j = path_b.size(); j-- > 0;) {
    const auto it = index_in_a.find(path_b[j].individual.id);
    if (it == index_in_a.end()) continue;
    result.ancestor = path_b[j].individual;
    result.steps_from_a = static_cast<int>(path_a.size() - 1 - it->second);
    result.steps_from_b = static_cast<int>(path_b.size() - 1 - j);
    break;
  }
  return result;
}

std::optional<int64_t> mrca(store::Database& db, int64_t a, int64_t b) {
  const auto result = find_mrca(db, a, b);
  if (!result.ancestor) return std::nullopt;
  return result.ancestor->id;
}

}  // namespace seedline::lineage
