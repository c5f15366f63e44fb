// Individuals as seed lineages: writing them and walking them (ancestors, descendants).
//
// Every individual is one row: id, run, birth generation, parent (NULL for a root), 64-bit
// seed, birth fitness and, once it became a parent, the checksum of its genotype. The table
// has no index besides the rowid (compactness), so:
//   - ancestors are followed parent by parent with one recursive query (rowid look-ups);
//   - descendants are found by scanning forward from an id within its run, since a child is
//     always inserted after its parent (larger id);
//   - a run's individuals are bounded by the id ranges in its generation summaries when it has
//     any (the runner commits both together), else by a scan of the whole table.
// All SQL for individuals lives in lineage_repo.cpp. Functions take the caller's Database and
// are as thread-safe as it is (one per thread). Lookups of an unknown id throw kNotFound
// ("individual 123 does not exist"); a broken chain (a parent that does not exist, a parent
// id not smaller than its child's, a parent in another run) throws kCorruption naming the row.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

// One individual to insert. Seeds are full 64-bit values, stored as their two's-complement int64.
struct NewIndividual {
  std::optional<int64_t> parent;  // nullopt: a root, whose genotype is init(seed)
  uint64_t seed = 0;
  int generation = 0;              // birth generation
  std::optional<double> fitness;   // birth-generation fitness, if measured
  std::optional<uint64_t> checksum;
};

struct IndividualRow {
  int64_t id = 0;
  int64_t run_id = 0;
  int generation = 0;
  std::optional<int64_t> parent;
  uint64_t seed = 0;
  std::optional<double> fitness;
  std::optional<uint64_t> checksum;
};

// A row of an ancestor path, with whether a snapshot of its genotype is stored.
struct PathEntry {
  IndividualRow individual;
  bool has_snapshot = false;
};

// A descendant and its distance from the individual asked about (child = 1).
struct DescendantRow {
  IndividualRow individual;
  int depth = 0;
};

// Inserts `individuals` into `run_id` in order, reusing one prepared statement; returns the
// inclusive id range they received, consecutive because the caller holds the write
// transaction (wrap the call in a store::Transaction: without one each row commits alone,
// which is slow and lets another writer interleave). Parents are not checked here beyond
// SQLite's foreign key; a parent must be an earlier row of the same run. An empty span
// returns {0, -1}. Throws on a SQLite failure (kFailedPrecondition for a missing run).
std::pair<int64_t, int64_t> insert_individuals(Database& db, int64_t run_id,
                                               std::span<const NewIndividual> individuals);

// Records the genotype checksum of an individual that became a parent. Throws kNotFound for
// an unknown id, kFailedPrecondition when a different checksum is already stored.
void set_checksum(Database& db, int64_t id, uint64_t checksum);

std::optional<IndividualRow> find_individual(Database& db, int64_t id);
// Like find_individual, but throws kNotFound "individual ID does not exist".
IndividualRow get_individual(Database& db, int64_t id);

// Root..id (root first, `id` last), each with its snapshot flag, read with one recursive
// query. Throws kNotFound for an unknown id, kCorruption for a broken chain.
std::vector<PathEntry> ancestor_path(Database& db, int64_t id);
// Like ancestor_path, but stops at the nearest ancestor-or-self with a stored snapshot: the
// first entry is that individual (or the root when none has a snapshot).
std::vector<PathEntry> ancestor_path_to_snapshot(Database& db, int64_t id);

// Descendants of `id` in id order, up to `max_depth` generations of descent (nullopt: all).
// Throws kNotFound for an unknown id, kInvalidArgument for a negative depth.
std::vector<DescendantRow> descendants(Database& db, int64_t id, std::optional<int> max_depth = std::nullopt);
std::vector<IndividualRow> children(Database& db, int64_t id);

// Calls `visit` for every individual of the run in id order, without holding them all in
// memory. Throws kNotFound for an unknown run.
void for_each_individual_of_run(Database& db, int64_t run_id,
                                const std::function<void(const IndividualRow&)>& visit);
std::vector<IndividualRow> individuals_of_run(Database& db, int64_t run_id);

}  // namespace seedline::store
