// Phylogeny export: the ALife data standard CSV, or Newick. ALife data standard (https://alife-data-standards.github.io):
// one CSV row per individual of a run, columns id, ancestor_list ("[NONE]" for a root,
// "[PARENT]" otherwise), origin_time (birth generation) and fitness (birth-generation
// fitness, empty when not measured, shortest decimal that reads back to the same double);
// with `loss` (a run whose fitness is minus a loss: the language model) a fifth column, loss,
// minus the fitness.
//
// The file is written to a temporary sibling and renamed into place, so readers never see a
// half-written file and a failure leaves any previous file untouched. Thread-safety: as the
// Database. Throws kNotFound for an unknown run, kInvalidArgument when `path` exists and is
// not a regular file (util/output_path.hpp), kIOError when the file cannot be written.
#pragma once

#include <cstdint>
#include <filesystem>

#include "store/database.hpp"

namespace seedline::lineage {

// Returns the number of individuals written. With `extant_only`, only the ancestors-or-self
// of the run's final population (lineage/run_tree.hpp); every row's parent is then a row too.
int64_t write_phylogeny_csv(store::Database& db, int64_t run_id, const std::filesystem::path& path,
                            bool extant_only = false, bool loss = false);

// The same tree (or its extant pruning) as Newick (lineage::to_newick), atomically as above.
// Returns the number of individuals written.
int64_t write_phylogeny_newick(store::Database& db, int64_t run_id, const std::filesystem::path& path,
                               bool extant_only);

}  // namespace seedline::lineage
