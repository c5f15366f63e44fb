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
    const auto& row = path[k].individual;
    seeds.push_back(row.seed);
    if (row.checksum) checks.push_back({seeds.size(), row.id, *row.checksum, "replayed genotype"});
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

// One piecewise replay. The genotype is cut into units of at most kUnitValues values. Unit u
// is filled from the start (its snapshot piece decoded, by the piece's first unit, or the
// cached genotype copied), then taken through every mutation while it is in cache; before
// each mutation, and after the last, it is added to the checksum of that state when one is
// owed; at the end it is copied to `copy` (the cache's) when given.
// A state's checksum must see the units in order, so unit u waits (per state) until unit
// u-1 has been hashed, and a unit waits for its snapshot piece to be decoded. Units are
// claimed in increasing order from a counter, whatever index the runner hands out, and only
// ever wait for lower units: the lowest unfinished one never waits, so no order of running
// them can deadlock. The first exception stops the others and is rethrown by finish().
class PieceReplay {
 public:
  PieceReplay(const GenomeOps& ops, std::span<float> genotype, const store::SnapshotPieces* snapshot,
              const float* cached, const std::vector<uint64_t>& seeds, const std::vector<bool>& owed,
              std::vector<float>* copy)
      : ops_(ops), genotype_(genotype), snapshot_(snapshot), cached_(cached), seeds_(seeds), copy_(copy),
        states_(seeds.size() + 1), streams_(states_), hashed_(new std::atomic<size_t>[states_]) {
    // Units are snapshot pieces (2^14 values), or split larger ones evenly when they can.
    const size_t piece = snapshot_ != nullptr ? snapshot_->piece_values() : kUnitValues;
    per_piece_ = piece % kUnitValues == 0 ? piece / kUnitValues : 1;
    unit_ = std::max<size_t>(1, piece / per_piece_);
    units_ = (genotype_.size() + unit_ - 1) / unit_;
    if (snapshot_ != nullptr) decoded_.reset(new std::atomic<size_t>[snapshot_->piece_count()]);
    for (size_t k = 0; snapshot_ != nullptr && k < snapshot_->piece_count(); ++k) decoded_[k].store(0);
    for (size_t t = 0; t < states_; ++t) {
      hashed_[t].store(0);
      if (owed[t]) streams_[t] = ops_.checksum_stream();
    }
  }

  size_t units() const { return units_; }

  void run_next() {
    const size_t u = next_.fetch_add(1);
    if (u >= units_) return;
    try {
      run(u);
    } catch (...) {
      {
        const std::lock_guard lock(error_mu_);
        if (!error_) error_ = std::current_exception();
      }
      for (size_t t = 0; t < states_; ++t) fail(hashed_[t]);
      for (size_t k = 0; snapshot_ != nullptr && k < snapshot_->piece_count(); ++k) fail(decoded_[k]);
    }
  }

  void finish(std::vector<uint64_t>& digests) {
    if (error_) std::rethrow_exception(error_);
    for (size_t t = 0; t < states_; ++t) {
      if (streams_[t]) digests[t] = streams_[t]->digest();
    }
  }

 private:
  // 64 KiB of floats: small enough that the last units balance the threads' shares, large
  // enough that handing a checksum on costs nothing next to the unit's work.
  static constexpr size_t kUnitValues = size_t{1} << 14;
  static constexpr size_t kFailed = size_t{1} << (sizeof(size_t) * 8 - 1);

  void run(size_t u) {
    const size_t begin = u * unit_, end = std::min(genotype_.size(), begin + unit_);
    const std::span<float> values = genotype_.subspan(begin, end - begin);
    if (snapshot_ != nullptr) {
      const size_t k = u / per_piece_;
      if (u % per_piece_ == 0) {
        const size_t first = k * snapshot_->piece_values();
        snapshot_->decode_piece(
            k, genotype_.subspan(first, std::min(genotype_.size() - first, snapshot_->piece_values())));
        publish(decoded_[k]);
      } else if (!wait_until(decoded_[k], 1)) {
        return;
      }
    }
    if (cached_ != nullptr) std::copy_n(cached_ + begin, values.size(), values.data());
    for (size_t t = 0; t < states_; ++t) {
      if (streams_[t]) {
        if (!wait_until(hashed_[t], u)) return;
        streams_[t]->update(values);
        publish(hashed_[t]);
      }
      if (t + 1 < states_) ops_.mutate_range(genotype_, seeds_[t], begin, end);
    }
    if (copy_ != nullptr) std::copy_n(values.data(), values.size(), copy_->data() + begin);
  }

  // Waits until `a` holds `value`; false when the replay failed meanwhile.
  static bool wait_until(std::atomic<size_t>& a, size_t value) {
    for (size_t h; (h = a.load(std::memory_order_acquire)) != value;) {
      if (h & kFailed) return false;
      a.wait(h, std::memory_order_acquire);
    }
    return true;
  }
  static void publish(std::atomic<size_t>& a) {
    a.fetch_add(1, std::memory_order_acq_rel);
    a.notify_all();
  }
  static void fail(std::atomic<size_t>& a) {
    a.fetch_or(kFailed, std::memory_order_acq_rel);
    a.notify_all();
  }

  const GenomeOps& ops_;
  const std::span<float> genotype_;
  const store::SnapshotPieces* const snapshot_;
  const float* const cached_;
  const std::vector<uint64_t>& seeds_;
  std::vector<float>* const copy_;
  const size_t states_;
  size_t per_piece_ = 1, unit_ = 1, units_ = 0;
  std::vector<std::unique_ptr<ChecksumStream>> streams_;
  const std::unique_ptr<std::atomic<size_t>[]> hashed_;  // units hashed into each state's stream
  std::unique_ptr<std::atomic<size_t>[]> decoded_;       // 1 once a snapshot piece is decoded
  std::atomic<size_t> next_{0};
  std::mutex error_mu_;
  std::exception_ptr error_;  // guarded by error_mu_ until every unit has run
};

std::vector<float> replay_by_pieces(const GenomeOps& ops, const store::PathEntry& start_row, Start& start,
                                    const std::vector<uint64_t>& seeds, const std::vector<bool>& owed,
                                    std::vector<uint64_t>& digests, std::vector<float>* copy) {
  std::vector<float> genotype;
  const store::SnapshotPieces* snapshot = nullptr;
  if (start.kind == RebuildStart::kCache) {
    genotype.resize(start.cached->size());
  } else if (start.kind == RebuildStart::kSnapshot) {
    genotype.resize(start.snapshot->pieces.values());
    if (start.snapshot->pieces.piece_count() > 1) {
      snapshot = &start.snapshot->pieces;  // decoded by the units
    } else {
      start.snapshot->pieces.decode_all(genotype);
    }
  } else {
    genotype = ops.init(start_row.individual.seed);
  }
  if (copy != nullptr) copy->resize(genotype.size());
  PieceReplay replay(ops, genotype, snapshot, start.cached ? start.cached->data() : nullptr, seeds, owed, copy);
  const auto run = [&replay](size_t) { replay.run_next(); };
  if (ops.parallel && replay.units() > 1) {
    ops.parallel(replay.units(), run);
  } else {
    for (size_t u = 0; u < replay.units(); ++u) run(u);
  }
  replay.finish(digests);
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
