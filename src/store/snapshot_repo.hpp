// Snapshots: stored genotypes of selected parents, the starting points of rebuilds.
//
// A genotype is kept as its little-endian float32 bytes compressed into one zstd frame
// (codec 'zstd'), with the uncompressed size and the genotype's checksum beside it. This
// module stores and loads the bytes; it does not know the checksum function (the caller
// computes it on write and verifies it after a load, see lineage/rebuild.hpp).
//
// Functions take the caller's Database and are as thread-safe as it is (one per thread).
// Reading a damaged snapshot (not a zstd frame, sizes that disagree, trailing bytes, a size
// that is not a whole number of floats) throws kCorruption naming the individual; an unknown
// codec throws kUnimplemented. Nothing is ever returned from a blob that failed these checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

struct Snapshot {
  int64_t individual_id = 0;
  int64_t run_id = 0;
  uint64_t checksum = 0;         // as stored; verify against the decoded genotype
  std::vector<float> genotype;
};

// Default zstd level: fast to write from the runner, and float32 noise barely compresses
// further at higher levels.
constexpr int kSnapshotZstdLevel = 3;

// Stores a snapshot of `individual_id`. Writing the same snapshot again is a no-op (a resumed
// generation repeats its writes); a different checksum for an existing snapshot throws
// kFailedPrecondition. Throws kFailedPrecondition (foreign key) for an unknown individual or run.
void put_snapshot(Database& db, int64_t run_id, int64_t individual_id, std::span<const float> genotype,
                  uint64_t checksum);

// The decoded snapshot, or nullopt when `individual_id` has none.
std::optional<Snapshot> find_snapshot(Database& db, int64_t individual_id);
bool has_snapshot(Database& db, int64_t individual_id);

// Genotype <-> little-endian float32 bytes, whatever the host byte order.
std::vector<std::byte> genotype_to_bytes(std::span<const float> genotype);
// Throws kInvalidArgument when the size is not a multiple of 4.
std::vector<float> genotype_from_bytes(std::span<const std::byte> bytes);

}  // namespace seedline::store
