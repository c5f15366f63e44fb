#include "lineage/rebuild.hpp"

#include <optional>
#include <string>
#include <utility>

#include "store/lineage_repo.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::lineage {
namespace {

void verify(int64_t target, int64_t id, uint64_t actual, uint64_t stored, const char* what, RebuildStats& stats) {
  ++stats.checksums_verified;
  if (actual == stored) return;
  corruption("rebuild of individual " + std::to_string(target) + ": " + what + " of individual " +
             std::to_string(id) + " has checksum " + hex64(actual) + " but " + hex64(stored) +
             " is stored (damaged lineage or snapshot, or a genome/noise mismatch)");
}

}  // namespace

std::vector<float> rebuild(store::Database& db, int64_t id, const GenomeOps& ops, GenotypeCache* cache,
                           RebuildStats* stats_out) {
  if (!ops.init || !ops.mutate || !ops.checksum) {
    invalid_argument("rebuild of individual " + std::to_string(id) + ": GenomeOps needs init, mutate and checksum");
  }
  const auto path = store::ancestor_path_to_snapshot(db, id);
  RebuildStats stats;
  stats.path_length = path.size();

  // Nearest usable start, walking up from the target: a cached genotype beats a snapshot at
  // the same individual (no decompression), and path[0] is a snapshot or the root.
  // The checks owed by the genotype's current state; verified fused with the next mutation
  // when the ops can, else before it (and after the last one).
  struct Owed {
    int64_t id = 0;
    std::vector<std::pair<uint64_t, const char*>> stored;
  };
  std::optional<Owed> owed;
  const auto settle = [&](uint64_t actual) {
    for (const auto& [stored, what] : owed->stored) verify(id, owed->id, actual, stored, what, stats);
    owed.reset();
  };

  std::vector<float> genotype;
  size_t start = path.size();
  for (size_t k = path.size(); k-- > 0;) {
    const auto& row = path[k].individual;
    if (cache != nullptr) {
      if (const auto hit = cache->get(row.id)) {
        genotype = *hit;
        stats.start = RebuildStart::kCache;
        start = k;
        break;
      }
    }
    if (path[k].has_snapshot) {
      auto snap = store::find_snapshot(db, row.id);
      if (!snap) fail(ErrorCode::kInternal, "snapshot of individual " + std::to_string(row.id) + " vanished");
      genotype = std::move(snap->genotype);
      owed = Owed{row.id, {{snap->checksum, "snapshot"}}};
      if (row.checksum) owed->stored.emplace_back(*row.checksum, "snapshot");
      stats.start = RebuildStart::kSnapshot;
      start = k;
      break;
    }
  }
  if (start == path.size()) {
    const auto& root = path.front().individual;
    if (root.parent) fail(ErrorCode::kInternal, "ancestor path of individual " + std::to_string(id) + " has no start");
    genotype = ops.init(root.seed);
    if (root.checksum) owed = Owed{root.id, {{*root.checksum, "initial genotype"}}};
    stats.start = RebuildStart::kRoot;
    start = 0;
  }
  stats.start_id = path[start].individual.id;

  for (size_t k = start + 1; k < path.size(); ++k) {
    const auto& row = path[k].individual;
    if (owed && ops.checksum_then_mutate) {
      settle(ops.checksum_then_mutate(genotype, row.seed));
    } else {
      if (owed) settle(ops.checksum(genotype));
      ops.mutate(genotype, row.seed);
    }
    ++stats.steps_replayed;
    if (row.checksum) owed = Owed{row.id, {{*row.checksum, "replayed genotype"}}};
  }
  if (owed) settle(ops.checksum(genotype));
  const bool came_from_cache = stats.start == RebuildStart::kCache && stats.start_id == id;
  if (cache != nullptr && !came_from_cache) cache->put(id, genotype);
  if (stats_out != nullptr) *stats_out = stats;
  return genotype;
}

void write_snapshot(store::Database& db, int64_t run_id, int64_t individual_id, std::span<const float> genotype,
                    uint64_t checksum) {
  const auto row = store::get_individual(db, individual_id);
  if (row.run_id != run_id) {
    invalid_argument("snapshot of individual " + std::to_string(individual_id) + " given for run " +
                     std::to_string(run_id) + ", but it belongs to run " + std::to_string(row.run_id));
  }
  store::set_checksum(db, individual_id, checksum);
  store::put_snapshot(db, run_id, individual_id, genotype, checksum);
}

}  // namespace seedline::lineage
