// Rebuilding a genotype from its seed lineage.
//
// A root's genotype is init(seed); a child's is its parent's plus mutate(seed). rebuild(x)
// reads x's ancestor path with one recursive query that stops at the nearest stored snapshot,
// starts from the nearest of {a cached ancestor-or-self, that snapshot, the root}, and replays
// the mutations down to x. With snapshots every `snapshot_every` generations the replay is
// bounded by that many steps whatever the depth.
//
// The genome itself is not known here: GenomeOps supplies init, mutate and checksum (the
// genome module binds them to an architecture and a noise version). Every stored checksum met
// on the way is verified: the snapshot's against its decoded genotype, and each individual's
// that became a parent (the target's included) against the replayed genotype. The checksums
// may be computed as the replay goes (piece by piece with GenomeOps::mutate_range, or fused
// with the next mutation, GenomeOps::checksum_then_mutate), but every check happens before
// anything is returned: a mismatch throws kCorruption naming the individual, and wrong
// weights are never returned. Genotypes taken from the cache are trusted (they were
// verified, or computed, when they were put there).
//
// Thread-safety: as the Database (one per thread); the cache may be shared between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "lineage/genotype_cache.hpp"
#include "store/database.hpp"

namespace seedline::lineage {

// GenomeOps::checksum taken piece by piece: update() with consecutive pieces of a genotype,
// in order, then digest() equals checksum() of the whole.
class ChecksumStream {
 public:
  virtual ~ChecksumStream() = default;
  virtual void update(std::span<const float> values) = 0;
  virtual uint64_t digest() = 0;
};

// Runs piece(i) for every i in [0, n), possibly several at once on other threads, and returns
// when all are done (runner::ThreadPool::parallel_for fits). Whatever the order or the
// threads, the replay's bits are the same.
using ParallelPieces = std::function<void(size_t n, const std::function<void(size_t)>& piece)>;

struct GenomeOps {
  std::function<std::vector<float>(uint64_t seed)> init;
  std::function<void(std::span<float> genotype, uint64_t seed)> mutate;
  std::function<uint64_t(std::span<const float> genotype)> checksum;
  // Optional: checksum(genotype) as it is, then mutate(genotype, seed), in one call, so an
  // implementation may overlap the (sequential) hash with a parallel mutation. Empty: the
  // two calls.
  std::function<uint64_t(std::span<float> genotype, uint64_t seed)> checksum_then_mutate;
  // Optional, both or neither: mutate() on the values [begin, end) only (the same bits there,
  // nothing touched elsewhere) and a fresh incremental checksum. With them the replay goes
  // piece by piece (docs/genome.md, "Rebuild"): each piece of the genotype (2^14 values, a
  // snapshot piece) is decoded and taken through every mutation of the path while it sits
  // in one core's cache, and the checksums of the states on the path advance over the
  // pieces in order. Then checksum_then_mutate is not used.
  std::function<void(std::span<float> genotype, uint64_t seed, size_t begin, size_t end)> mutate_range;
  std::function<std::unique_ptr<ChecksumStream>()> checksum_stream;
  // Optional: where the pieces of that replay run. Empty: one after another on the caller.
  ParallelPieces parallel;
};

enum class RebuildStart { kRoot, kSnapshot, kCache };

struct RebuildStats {
  RebuildStart start = RebuildStart::kRoot;
  int64_t start_id = 0;        // the individual whose genotype the replay started from
  int steps_replayed = 0;      // mutate() calls
  int checksums_verified = 0;  // stored checksums compared (snapshot and individuals)
  size_t path_length = 0;      // rows read by the ancestor query
};

// The genotype of individual `id`. When `cache` is given it is consulted for the path's
// individuals (nearest first) and receives the result. Throws kNotFound for an unknown id,
// kInvalidArgument when an op is missing, kCorruption (naming the individual) for a checksum
// mismatch, a damaged snapshot or a broken lineage.
std::vector<float> rebuild(store::Database& db, int64_t id, const GenomeOps& ops, GenotypeCache* cache = nullptr,
                           RebuildStats* stats = nullptr);

// Stores `genotype` as the snapshot of `individual_id` (a parent of run `run_id`) and records
// `checksum` as the individual's checksum if it has none. Throws kNotFound for an unknown
// individual, kInvalidArgument when it belongs to another run, kFailedPrecondition when a
// different checksum or snapshot is already stored. Hold a Transaction to commit it together
// with its generation.
void write_snapshot(store::Database& db, int64_t run_id, int64_t individual_id, std::span<const float> genotype,
                    uint64_t checksum);

}  // namespace seedline::lineage
