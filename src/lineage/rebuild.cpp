#include "lineage/rebuild.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "store/lineage_repo.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::lineage {
namespace {

// Pieces of the piecewise replay when the start is not a 'zstd-planes' snapshot (whose own
// pieces are used): 256 KiB of floats,
// which stay in a core's L2 cache through all the mutations of a path.
constexpr size_t kPieceValues = size_t{1} << 16;

void verify(int64_t target, int64_t id, uint64_t actual, uint64_t stored, const char* what, RebuildStats& stats) {
  ++stats.checksums_verified;
  if (actual == stored) return;
  corruption("rebuild of individual " + std::to_string(target) + ": " + what + " of individual " +
             std::to_string(id) + " has checksum " + hex64(actual) + " but " + hex64(stored) +
             " is stored (damaged lineage or snapshot, or a genome/noise mismatch)");
}

// A stored checksum owed by a state of the replay: state 0 is the start genotype, state t
// the genotype after the t-th replayed mutation.
struct Check {
  size_t state = 0;
  int64_t id = 0;
  uint64_t stored = 0;
  const char* what = "";
};

// Where the replay starts: path[index], from the cache, a snapshot or the root's init.
struct Start {
  RebuildStart kind = RebuildStart::kRoot;
  size_t index = 0;
  GenotypeCache::Genotype cached;
  std::optional<store::OpenSnapshot> snapshot;
};

// The nearest usable start, walking up from the target: a cached genotype beats a snapshot at
// the same individual (no decompression), and path[0] is a snapshot or the root.
Start find_start(store::Database& db, const std::vector<store::PathEntry>& path, GenotypeCache* cache) {
  for (size_t k = path.size(); k-- > 0;) {
    const auto& row = path[k].individual;
    if (cache != nullptr) {
      if (auto hit = cache->get(row.id)) return Start{RebuildStart::kCache, k, std::move(hit), std::nullopt};
    }
    if (path[k].has_snapshot) {
      auto snap = store::open_snapshot(db, row.id);
      if (!snap) fail(ErrorCode::kInternal, "snapshot of individual " + std::to_string(row.id) + " vanished");
      return Start{RebuildStart::kSnapshot, k, nullptr, std::move(snap)};
    }
  }
  if (path.front().individual.parent) {
    fail(ErrorCode::kInternal, "ancestor path of individual " + std::to_string(path.back().individual.id) +
                                   " has no start");
  }
  return Start{RebuildStart::kRoot, 0, nullptr, std::nullopt};
}

// The classic replay: whole-genotype mutations, each owed checksum taken before the next
// mutation (fused with it when the ops can). digests[t] is state t's checksum where owed.
std::vector<float> replay_whole(const GenomeOps& ops, const store::PathEntry& start_row, Start& start,
                                const std::vector<uint64_t>& seeds, const std::vector<bool>& owed,
                                std::vector<uint64_t>& digests) {
  std::vector<float> genotype;
  if (start.kind == RebuildStart::kCache) {
    genotype = *start.cached;
  } else if (start.kind == RebuildStart::kSnapshot) {
    genotype.resize(start.snapshot->pieces.values());
    start.snapshot->pieces.decode_all(genotype);
    start.snapshot.reset();  // ends the read
  } else {
    genotype = ops.init(start_row.individual.seed);
  }
  for (size_t t = 0; t < seeds.size(); ++t) {
    if (owed[t] && ops.checksum_then_mutate) {
      digests[t] = ops.checksum_then_mutate(genotype, seeds[t]);
    } else {
      if (owed[t]) digests[t] = ops.checksum(genotype);
      ops.mutate(genotype, seeds[t]);
    }
  }
  if (owed[seeds.size()]) digests[seeds.size()] = ops.checksum(genotype);
  return genotype;
}

std::vector<float> replay_by_pieces(const GenomeOps& ops, const store::PathEntry& start_row, Start& start,
                                    const std::vector<uint64_t>& seeds, const std::vector<bool>& owed,
                                    std::vector<uint64_t>& digests, std::vector<float>* copy);

}  // namespace

std::vector<float> rebuild(store::Database& db, int64_t id, const GenomeOps& ops, GenotypeCache* cache,
                           RebuildStats* stats_out) {
  if (!ops.init || !ops.mutate || !ops.checksum) {
    invalid_argument("rebuild of individual " + std::to_string(id) + ": GenomeOps needs init, mutate and checksum");
  }
  const auto path = store::ancestor_path_to_snapshot(db, id);
  RebuildStats stats;
  stats.path_length = path.size();
  Start start = find_start(db, path, cache);
  stats.start = start.kind;
  stats.start_id = path[start.index].individual.id;

  // The mutations to replay and the stored checksums owed by the states between them.
  std::vector<uint64_t> seeds;
  std::vector<Check> checks;
  const auto& first = path[start.index].individual;
  if (start.kind == RebuildStart::kSnapshot) {
    checks.push_back({0, first.id, start.snapshot->checksum, "snapshot"});
    if (first.checksum) checks.push_back({0, first.id, *first.checksum, "snapshot"});
  } else if (start.kind == RebuildStart::kRoot && first.checksum) {
    checks.push_back({0, first.id, *first.checksum, "initial genotype"});
  }  // a cached genotype is trusted: it was verified, or computed, when it was put there
  for (size_t k = start.index + 1; k < path.size(); ++k) {
    seeds.push_back(path[k].individual.seed);
    if (path[k].individual.checksum) checks.push_back({seeds.size(), path[k].individual.id, *path[k].individual.checksum, "replayed genotype"});
  }
  std::vector<bool> owed(seeds.size() + 1, false);
  for (const auto& c : checks) owed[c.state] = true;
  std::vector<uint64_t> digests(seeds.size() + 1, 0);

  const bool piecewise = ops.mutate_range && ops.checksum_stream;
  const bool came_from_cache = stats.start == RebuildStart::kCache && stats.start_id == id;
  const bool to_cache = cache != nullptr && !came_from_cache;
  std::vector<float> copy;  // the cache's copy, made by the pieces while they are hot
  auto genotype = piecewise ? replay_by_pieces(ops, path[start.index], start, seeds, owed, digests,
                                               to_cache ? &copy : nullptr)
                            : replay_whole(ops, path[start.index], start, seeds, owed, digests);
  stats.steps_replayed = static_cast<int>(seeds.size());
  // Every check before anything is returned, nearest the start first.
  for (const auto& c : checks) verify(id, c.id, digests[c.state], c.stored, c.what, stats);

  if (to_cache) cache->put(id, piecewise ? std::move(copy) : genotype);
  if (stats_out != nullptr) *stats_out = stats;
  return genotype;
}

namespace {

// Piece j of the genotype is filled from the start (a snapshot piece decoded, or the cached
// genotype copied), then taken through every mutation while it is in cache; before each
// mutation, and after the last, it is added to the checksum of that state when one is owed;
// at the end it is copied to `copy` (the cache's) when given.
// A state's checksum must see the pieces in order, so piece j waits (per state) until piece
// j-1 has been hashed. Pieces are claimed in increasing order from a counter, whatever index
// the runner hands out: the lowest unfinished piece then never waits, so no order of running
// them can deadlock. The first exception stops the others and is rethrown here.
std::vector<float> replay_by_pieces(const GenomeOps& ops, const store::PathEntry& start_row, Start& start,
                                    const std::vector<uint64_t>& seeds, const std::vector<bool>& owed,
                                    std::vector<uint64_t>& digests, std::vector<float>* copy) {
  std::vector<float> genotype;
  size_t piece_values = kPieceValues;
  const store::SnapshotPieces* snapshot = nullptr;
  if (start.kind == RebuildStart::kCache) {
    genotype.resize(start.cached->size());
  } else if (start.kind == RebuildStart::kSnapshot) {
    genotype.resize(start.snapshot->pieces.values());
    if (start.snapshot->pieces.piece_count() > 1) {
      snapshot = &start.snapshot->pieces;  // decoded here piece by piece
      piece_values = snapshot->piece_values();
    } else {
      start.snapshot->pieces.decode_all(genotype);
    }
  } else {
    genotype = ops.init(start_row.individual.seed);
  }
  const size_t n = genotype.size();
  const size_t pieces = (n + piece_values - 1) / piece_values;
  if (copy != nullptr) copy->resize(n);
  const size_t states = seeds.size() + 1;
  std::vector<std::unique_ptr<ChecksumStream>> streams(states);
  for (size_t t = 0; t < states; ++t) {
    if (owed[t]) streams[t] = ops.checksum_stream();
  }
  // hashed[t]: pieces added to state t's checksum so far; kFailed set when a piece failed.
  constexpr size_t kFailed = size_t{1} << (sizeof(size_t) * 8 - 1);
  const std::unique_ptr<std::atomic<size_t>[]> hashed(new std::atomic<size_t>[states]);
  for (size_t t = 0; t < states; ++t) hashed[t].store(0);
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  std::exception_ptr error;

  const auto run_piece = [&](size_t) {
    const size_t j = next.fetch_add(1);
    if (j >= pieces) return;
    const size_t begin = j * piece_values, end = std::min(n, begin + piece_values);
    const std::span<float> piece(genotype.data() + begin, end - begin);
    try {
      if (snapshot != nullptr) snapshot->decode_piece(j, piece);
      if (start.cached) std::copy_n(start.cached->data() + begin, piece.size(), piece.data());
      for (size_t t = 0; t < states; ++t) {
        if (streams[t]) {
          for (size_t h; (h = hashed[t].load(std::memory_order_acquire)) != j;) {
            if (h & kFailed) return;
            hashed[t].wait(h, std::memory_order_acquire);
          }
          streams[t]->update(piece);
          hashed[t].fetch_add(1, std::memory_order_acq_rel);
          hashed[t].notify_all();
        }
        if (t + 1 < states) ops.mutate_range(genotype, seeds[t], begin, end);
      }
      if (copy != nullptr) std::copy_n(piece.data(), piece.size(), copy->data() + begin);
    } catch (...) {
      {
        const std::lock_guard lock(error_mu);
        if (!error) error = std::current_exception();
      }
      for (size_t t = 0; t < states; ++t) {
        hashed[t].fetch_or(kFailed, std::memory_order_acq_rel);
        hashed[t].notify_all();
      }
    }
  };
  if (ops.parallel && pieces > 1) {
    ops.parallel(pieces, run_piece);
  } else {
    for (size_t j = 0; j < pieces; ++j) run_piece(j);
  }
  if (error) std::rethrow_exception(error);
  for (size_t t = 0; t < states; ++t) {
    if (streams[t]) digests[t] = streams[t]->digest();
  }
  start.snapshot.reset();  // ends the read
  return genotype;
}

}  // namespace

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
