// Snapshot codecs: a genotype's float32 values <-> the bytes stored in snapshots.data, named
// by the row's `codec` (docs/genome.md, "Snapshots" states both layouts byte for byte).
//
//   'zstd'        one zstd frame of the little-endian float32 bytes. Written by seedline up
//                 to 2026-11; still read.
//   'zstd-planes' the values cut into pieces of 2^14 values (the last holds the rest); each
//                 piece is two zstd frames: its values' three low byte planes (every
//                 value's least significant byte, then every second, then every third
//                 byte), then the high plane (sign and 7 exponent bits). The low planes are
//                 nearly random and zstd stores them almost as they are (fast to read); the
//                 high plane compresses to about half, with a code table of its own. About
//                 8% smaller than 'zstd' and ~2x faster to decode, and pieces decode
//                 independently, so a rebuild decodes them on all its threads, each right
//                 before it replays that part of the genotype. Written now.
//
// No SQL here (store/snapshot_repo.hpp reads and writes the rows). SnapshotPieces checks a
// blob's frames once, up front; decode_piece then decodes one piece.
//
// Thread-safety: encode is a pure function. A SnapshotPieces is immutable once built:
// decode_piece may run concurrently on any pieces (each thread uses its own zstd context
// and scratch buffer).
// Failure: an unknown codec throws kUnimplemented ("uses codec X, which this seedline cannot
// read"); a damaged blob (not a zstd frame, a truncated frame, trailing bytes, frame sizes
// that disagree with each other or with the row's raw size, data zstd rejects) throws
// kCorruption naming the individual. Nothing is ever decoded from a blob that failed them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seedline::store {

inline constexpr std::string_view kSnapshotCodecZstd = "zstd";
inline constexpr std::string_view kSnapshotCodecPlanes = "zstd-planes";
// The codec put_snapshot writes.
inline constexpr std::string_view kSnapshotCodecCurrent = kSnapshotCodecPlanes;
// Values per 'zstd-planes' piece: 64 KiB of floats, so a piece and its scratch stay in a
// core's L2 cache while it is decoded and replayed, and a rebuild's threads get even shares
// of a 10^6-value genotype (61 pieces; 2^16 would give 16, and the last would leave one
// thread idle). Smaller pieces compress 0.5% worse and decode 4% slower than 2^16.
inline constexpr size_t kSnapshotPieceValues = size_t{1} << 14;

// The bytes of `genotype` in `codec` at zstd `level`. Throws kInvalidArgument for an unknown
// codec, kInternal when zstd fails.
std::vector<std::byte> encode_snapshot(std::string_view codec, std::span<const float> genotype, int level);

class SnapshotPieces {
 public:
  // Checks `blob` (which must outlive this object) against `codec` and `raw_bytes` and
  // indexes its frames. `individual_id` only names the snapshot in errors.
  SnapshotPieces(int64_t individual_id, std::string codec, int64_t raw_bytes, std::span<const std::byte> blob);

  const std::string& codec() const { return codec_; }
  size_t values() const { return values_; }
  // 'zstd' is one piece of all values.
  size_t piece_count() const { return pieces_.size(); }
  // Piece k holds the values [k * piece_values(), min(values(), (k + 1) * piece_values())).
  size_t piece_values() const { return piece_values_; }
  // Decodes piece k into `out`, which must be exactly its values.
  void decode_piece(size_t k, std::span<float> out) const;
  // Every piece, in order, on the calling thread.
  void decode_all(std::span<float> out) const;

 private:
  struct Frame {
    size_t offset = 0, size = 0;  // compressed bytes in the blob
  };
  struct Piece {
    size_t values = 0;
    Frame frames[2];  // 'zstd-planes': low planes, high plane; 'zstd': the frame, unused
  };
  [[noreturn]] void corrupt(const std::string& why) const;
  void index_single_frame();
  void index_planes();
  Frame frame_at(size_t offset, size_t index, unsigned long long& content) const;
  void decompress(const Frame& f, std::byte* dst, size_t bytes, size_t index) const;

  int64_t id_;
  std::string codec_;
  std::span<const std::byte> blob_;
  size_t values_ = 0;
  size_t piece_values_ = 0;
  std::vector<Piece> pieces_;
};

}  // namespace seedline::store
