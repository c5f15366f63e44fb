// A run's family tree in memory, whole or pruned to the ancestors of its final population
// (the standard "extant" pruning of phylotrackpy and hstrat), and its Newick text. This is
// what `seedline phylogeny --format newick [--extant]` writes and what the run page of the
// dashboard draws (GET /api/runs/{id}/tree).
//
// The final population is the population of the run's newest committed generation G: the
// individuals born in G plus the elites carried into G (the first `ga.elites` parents chosen
// in G-1). An elite stays the same individual, so a node can be both extant and an ancestor.
//
// Thread-safety: as the Database (one per thread). Throws kNotFound for an unknown run,
// kCorruption for a broken lineage (a parent missing from the run or not older than its
// child) or an unreadable stored config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace seedline::lineage {

struct TreeNode {
  int64_t id = 0;
  int32_t parent = -1;            // index into RunTree::nodes, -1 for a root
  int32_t generation = 0;         // birth generation
  std::optional<double> fitness;  // birth-generation fitness
  bool extant = false;            // in the final population
};

struct RunTree {
  int64_t run = 0;
  int last_generation = -1;      // newest committed generation, -1 before the first
  std::vector<TreeNode> nodes;   // in id order, so a parent always comes before its children
};

// The run's individuals (all, or with `extant_only` those that are ancestors-or-self of the
// final population), each marked extant or not.
RunTree load_run_tree(store::Database& db, int64_t run_id, bool extant_only);

// The ids of the run's final population, ascending; empty before the first commit.
std::vector<int64_t> final_population(store::Database& db, int64_t run_id);

// Newick: each node labelled with its id, branch length = birth generation minus the
// parent's (a root's = its birth generation); children in id order. A tree with several
// roots is written under an unlabelled root joining them; an empty tree is ";". Written
// without recursion (a lineage can be thousands of generations deep).
std::string to_newick(const RunTree& tree);

}  // namespace seedline::lineage
