#include "lineage/run_tree.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "util/error.hpp"

namespace seedline::lineage {
namespace {

int configured_elites(store::Database& db, const store::RunRow& run) {
  const auto condition = store::find_condition(db, run.condition_id);
  if (!condition) corruption("run " + std::to_string(run.id) + ": its condition does not exist");
  try {
    // A config without ga.elites (hand-written, not through submit) carries none.
    const auto config = nlohmann::json::parse(condition->config);
    return config.contains("ga") ? config.at("ga").value("elites", 0) : 0;
  } catch (const nlohmann::json::exception& e) {
    corruption("condition '" + condition->name + "': stored config has no readable ga.elites (" + e.what() + ")");
  }
}

}  // namespace

std::vector<int64_t> final_population(store::Database& db, int64_t run_id) {
  const auto run = store::find_run(db, run_id);
  if (!run) not_found("run " + std::to_string(run_id) + " does not exist");
  const auto generations = store::list_generations(db, run_id);
  if (generations.empty()) return {};
  const auto& last = generations.back();
  std::vector<int64_t> ids;
  for (int64_t id = last.first_individual; id <= last.last_individual; ++id) ids.push_back(id);
  if (generations.size() >= 2) {
    const auto& before = generations[generations.size() - 2];
    const auto elites = std::min<size_t>(static_cast<size_t>(std::max(0, configured_elites(db, *run))),
                                         before.parents.size());
    ids.insert(ids.end(), before.parents.begin(), before.parents.begin() + static_cast<long>(elites));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

RunTree load_run_tree(store::Database& db, int64_t run_id, bool extant_only) {
  RunTree tree;
  tree.run = run_id;
  std::unordered_map<int64_t, int32_t> index;
  std::vector<int64_t> parent_ids;
  store::for_each_individual_of_run(db, run_id, [&](const store::IndividualRow& r) {
    index.emplace(r.id, static_cast<int32_t>(tree.nodes.size()));
    tree.nodes.push_back({r.id, -1, r.generation, r.fitness, false});
    parent_ids.push_back(r.parent.value_or(0));
  });
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    if (parent_ids[i] == 0) continue;
    const auto it = index.find(parent_ids[i]);
    if (it == index.end() || static_cast<size_t>(it->second) >= i) {
      corruption("individual " + std::to_string(tree.nodes[i].id) + ": parent " + std::to_string(parent_ids[i]) +
                 " is not an earlier individual of run " + std::to_string(run_id));
    }
    tree.nodes[i].parent = it->second;
  }
  const auto last = store::last_generation(db, run_id);
  tree.last_generation = last ? last->generation : -1;
  for (int64_t id : final_population(db, run_id)) {
    const auto it = index.find(id);
    if (it == index.end()) corruption("run " + std::to_string(run_id) + ": final individual " + std::to_string(id) + " is missing");
    tree.nodes[static_cast<size_t>(it->second)].extant = true;
  }
  if (!extant_only) return tree;

  // Keep ancestors-or-self of the extant nodes: walk up from each, stopping at a kept node.
  std::vector<char> keep(tree.nodes.size(), 0);
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    if (!tree.nodes[i].extant) continue;
    for (int32_t k = static_cast<int32_t>(i); k >= 0 && !keep[static_cast<size_t>(k)];
         k = tree.nodes[static_cast<size_t>(k)].parent) {
      keep[static_cast<size_t>(k)] = 1;
    }
  }
  std::vector<int32_t> renumber(tree.nodes.size(), -1);
  std::vector<TreeNode> kept;
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    if (!keep[i]) continue;
    TreeNode n = tree.nodes[i];
    n.parent = n.parent < 0 ? -1 : renumber[static_cast<size_t>(n.parent)];
    renumber[i] = static_cast<int32_t>(kept.size());
    kept.push_back(n);
  }
  tree.nodes = std::move(kept);
  return tree;
}

std::string to_newick(const RunTree& tree) {
  const size_t n = tree.nodes.size();
  // Children in id order, as index lists (CSR layout: one array, offsets per node).
  std::vector<int32_t> count(n + 1, 0);
  std::vector<int32_t> roots;
  for (size_t i = 0; i < n; ++i) {
    if (tree.nodes[i].parent < 0) roots.push_back(static_cast<int32_t>(i));
    else ++count[static_cast<size_t>(tree.nodes[i].parent) + 1];
  }
  for (size_t i = 0; i < n; ++i) count[i + 1] += count[i];
  std::vector<int32_t> children(n);
  std::vector<int32_t> fill(count.begin(), count.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    if (tree.nodes[i].parent >= 0) children[static_cast<size_t>(fill[static_cast<size_t>(tree.nodes[i].parent)]++)] = static_cast<int32_t>(i);
  }

  std::string out;
  out.reserve(n * 12);
  const auto label = [&](int32_t i) {
    const auto& node = tree.nodes[static_cast<size_t>(i)];
    const int parent_generation = node.parent < 0 ? 0 : tree.nodes[static_cast<size_t>(node.parent)].generation;
    out += std::to_string(node.id) + ":" + std::to_string(node.generation - parent_generation);
  };
  // An explicit stack of (node, next child position): "(" on entry to a node with children,
  // "," between siblings, ")label" on leaving.
  std::vector<std::pair<int32_t, int32_t>> stack;
  const bool joined = roots.size() > 1;
  if (joined) out += '(';
  for (size_t r = 0; r < roots.size(); ++r) {
    if (r > 0) out += ',';
    stack.emplace_back(roots[r], count[static_cast<size_t>(roots[r])]);
    if (count[static_cast<size_t>(roots[r]) + 1] > count[static_cast<size_t>(roots[r])]) out += '(';
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      const int32_t end = count[static_cast<size_t>(node) + 1];
      if (next < end) {
        const int32_t child = children[static_cast<size_t>(next)];
        if (next > count[static_cast<size_t>(node)]) out += ',';
        ++next;
        stack.emplace_back(child, count[static_cast<size_t>(child)]);
        if (count[static_cast<size_t>(child) + 1] > count[static_cast<size_t>(child)]) out += '(';
        continue;
      }
      if (end > count[static_cast<size_t>(node)]) out += ')';
      label(node);
      stack.pop_back();
    }
  }
  if (joined) out += ')';
  out += ";\n";
  return out;
}

}  // namespace seedline::lineage
