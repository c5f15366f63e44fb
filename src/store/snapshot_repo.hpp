// Snapshots: stored genotypes of selected parents, the starting points of rebuilds.
//
// A genotype is kept compressed by a codec named in the row (store/snapshot_codec.hpp: new
// snapshots are 'zstd-planes', pieces of 2^14 values that decode independently; older
// single-frame 'zstd' ones are still read), with the uncompressed size and the genotype's
// checksum beside it. This module stores and loads the rows; it does not know the checksum
// function (the caller computes it on write and verifies it after a load, see
// lineage/rebuild.hpp).
//
// Functions take the caller's Database and are as thread-safe as it is (one per thread); an
// OpenSnapshot's pieces may be decoded on any threads while it lives.
// Reading a damaged snapshot (not a zstd frame, a truncated frame, sizes that disagree,
// trailing bytes, a size that is not a whole number of floats) throws kCorruption naming the
// individual; an unknown codec throws kUnimplemented. Nothing is ever returned from a blob
// that failed these checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "store/snapshot_codec.hpp"

namespace seedline::store {

struct Snapshot {
  int64_t individual_id = 0;
  int64_t run_id = 0;
  uint64_t checksum = 0;         // as stored; verify against the decoded genotype
  std::vector<float> genotype;
};

// zstd levels: 'zstd' (old rows, and tests) at 3; 'zstd-planes' at 1, which gives the
// planes their smallest size (higher levels spend more and gain nothing on float noise).
constexpr int kSnapshotZstdLevel = 3;
constexpr int kSnapshotPlanesZstdLevel = 1;

// Stores a snapshot of `individual_id`. Writing the same snapshot again is a no-op (a resumed
// generation repeats its writes); a different checksum for an existing snapshot throws
// kFailedPrecondition. Throws kFailedPrecondition (foreign key) for an unknown individual or run.
void put_snapshot(Database& db, int64_t run_id, int64_t individual_id, std::span<const float> genotype,
                  uint64_t checksum);

// The same, in a given codec (kSnapshotCodecCurrent above; tests write old 'zstd' rows with
// it). Throws kInvalidArgument for a codec this seedline cannot write.
void put_snapshot(Database& db, int64_t run_id, int64_t individual_id, std::span<const float> genotype,
                  uint64_t checksum, std::string_view codec);

// The decoded snapshot, or nullopt when `individual_id` has none.
std::optional<Snapshot> find_snapshot(Database& db, int64_t individual_id);

// A snapshot read but not decoded: the row's fields and its checked frames over the blob
// as SQLite returned it (not copied). It holds the reading statement, so it keeps a read
// transaction open: decode it and let it go. Movable; the blob stays where it is.
struct OpenSnapshot {
  int64_t individual_id = 0;
  int64_t run_id = 0;
  uint64_t checksum = 0;  // as stored; verify against the decoded genotype
  // The reading statement: owns the blob `pieces` reads (finalized on destruction).
  std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> row{nullptr, nullptr};
  SnapshotPieces pieces;
};
// nullopt when `individual_id` has no snapshot; throws as find_snapshot for a damaged frame
// table or an unknown codec (damage inside a frame shows when its piece is decoded).
std::optional<OpenSnapshot> open_snapshot(Database& db, int64_t individual_id);
bool has_snapshot(Database& db, int64_t individual_id);

// Genotype <-> little-endian float32 bytes, whatever the host byte order.
std::vector<std::byte> genotype_to_bytes(std::span<const float> genotype);
// Throws kInvalidArgument when the size is not a multiple of 4.
std::vector<float> genotype_from_bytes(std::span<const std::byte> bytes);

}  // namespace seedline::store
