// Questions about the family tree of one run: ancestors, descendants, most recent common
// ancestor. Thin layer over store/lineage_repo (which holds the SQL and the scan strategy).
//
// Thread-safety: as the Database (one per thread). Unknown ids throw kNotFound ("individual
// 123 does not exist"); a broken lineage throws kCorruption naming the row.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/database.hpp"
#include "store/lineage_repo.hpp"

namespace seedline::lineage {

// Root..id, root first.
std::vector<store::IndividualRow> ancestors(store::Database& db, int64_t id);

// Descendants in id order with their depth (child = 1), up to a depth, and children: the
// store's functions, named here too (a using-declaration, so calls are never ambiguous).
using store::children;
using store::descendants;

struct MrcaResult {
  std::optional<store::IndividualRow> ancestor;  // nullopt: different roots
  int steps_from_a = 0;                          // generations of descent from ancestor to a
  int steps_from_b = 0;
};

// The most recent common ancestor of a and b, counting each as its own ancestor (so
// mrca(x, x) = x and mrca(parent, child) = parent). Individuals of one run descending from
// different roots have none. Individuals of different runs throw kInvalidArgument: runs never
// share ancestors, and asking is almost always a mistyped id.
MrcaResult find_mrca(store::Database& db, int64_t a, int64_t b);
std::optional<int64_t> mrca(store::Database& db, int64_t a, int64_t b);

}  // namespace seedline::lineage
