#include "store/snapshot_repo.hpp"

#include <zstd.h>

#include <bit>
#include <cstring>
#include <string>

#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::store {
namespace {

[[noreturn]] void corrupt(int64_t id, const std::string& why) {
  corruption("snapshot of individual " + std::to_string(id) + " is corrupt: " + why);
}

std::vector<float> decode(int64_t id, const std::string& codec, int64_t raw_bytes,
                          const std::vector<std::byte>& blob) {
  if (codec != "zstd") {
    fail(ErrorCode::kUnimplemented,
         "snapshot of individual " + std::to_string(id) + " uses codec '" + codec + "', which this seedline cannot read");
  }
  if (raw_bytes < 0 || raw_bytes % 4 != 0) {
    corrupt(id, "raw size " + std::to_string(raw_bytes) + " is not a whole number of float32 values");
  }
  const unsigned long long content = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) corrupt(id, "not a zstd frame");
  if (content == ZSTD_CONTENTSIZE_UNKNOWN) corrupt(id, "zstd frame does not record its size");
  if (content != static_cast<unsigned long long>(raw_bytes)) {
    corrupt(id, "zstd frame holds " + std::to_string(content) + " bytes, row says " + std::to_string(raw_bytes));
  }
  const size_t frame = ZSTD_findFrameCompressedSize(blob.data(), blob.size());
  if (ZSTD_isError(frame)) corrupt(id, std::string("truncated zstd frame (") + ZSTD_getErrorName(frame) + ")");
  if (frame != blob.size()) {
    corrupt(id, std::to_string(blob.size() - frame) + " trailing bytes after the zstd frame");
  }
  std::vector<std::byte> raw(static_cast<size_t>(raw_bytes));
  const size_t got = ZSTD_decompress(raw.data(), raw.size(), blob.data(), blob.size());
  if (ZSTD_isError(got)) corrupt(id, std::string("zstd: ") + ZSTD_getErrorName(got));
  if (got != raw.size()) {
    corrupt(id, "decompressed to " + std::to_string(got) + " bytes, expected " + std::to_string(raw_bytes));
  }
  return genotype_from_bytes(raw);
}

}  // namespace

std::vector<std::byte> genotype_to_bytes(std::span<const float> genotype) {
  std::vector<std::byte> out(genotype.size() * 4);
  for (size_t i = 0; i < genotype.size(); ++i) {
    const auto bits = std::bit_cast<uint32_t>(genotype[i]);
    for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<std::byte>((bits >> (8 * b)) & 0xff);
  }
  return out;
}

std::vector<float> genotype_from_bytes(std::span<const std::byte> bytes) {
  if (bytes.size() % 4 != 0) {
    invalid_argument("genotype of " + std::to_string(bytes.size()) + " bytes is not a whole number of float32 values");
  }
  std::vector<float> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(bytes[i * 4 + b]) << (8 * b);
    out[i] = std::bit_cast<float>(bits);
  }
  return out;
}

void put_snapshot(Database& db, int64_t run_id, int64_t individual_id, std::span<const float> genotype,
                  uint64_t checksum) {
  const auto raw = genotype_to_bytes(genotype);
  std::vector<std::byte> packed(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), kSnapshotZstdLevel);
  if (ZSTD_isError(n)) {
    fail(ErrorCode::kInternal, "snapshot of individual " + std::to_string(individual_id) +
                                   ": zstd compression failed: " + ZSTD_getErrorName(n));
  }
  packed.resize(n);
  auto st = db.prepare(
      "INSERT INTO snapshots(individual_id, run_id, codec, raw_bytes, checksum, data) "
      "VALUES (?1, ?2, 'zstd', ?3, ?4, ?5) ON CONFLICT(individual_id) DO NOTHING");
  st.bind(1, individual_id).bind(2, run_id).bind(3, static_cast<int64_t>(raw.size())).bind(4, checksum);
  st.bind_blob(5, packed);
  st.run();
  if (db.changes() == 1) return;
  auto old = db.prepare("SELECT checksum, run_id FROM snapshots WHERE individual_id = ?1");
  old.bind(1, individual_id);
  if (!old.step()) fail(ErrorCode::kInternal, "snapshot of individual " + std::to_string(individual_id) + " vanished");
  if (old.column_uint64(0) != checksum || old.column_int64(1) != run_id) {
    failed_precondition("individual " + std::to_string(individual_id) + " already has a snapshot with checksum " +
                        hex64(old.column_uint64(0)) + " (run " + std::to_string(old.column_int64(1)) +
                        "), refusing to replace it with " + hex64(checksum) + " (run " + std::to_string(run_id) + ")");
  }
}

std::optional<Snapshot> find_snapshot(Database& db, int64_t individual_id) {
  auto st = db.prepare(
      "SELECT run_id, codec, raw_bytes, checksum, data FROM snapshots WHERE individual_id = ?1");
  st.bind(1, individual_id);
  if (!st.step()) return std::nullopt;
  Snapshot s;
  s.individual_id = individual_id;
  s.run_id = st.column_int64(0);
  s.checksum = st.column_uint64(3);
  s.genotype = decode(individual_id, st.column_text(1), st.column_int64(2), st.column_blob(4));
  return s;
}

bool has_snapshot(Database& db, int64_t individual_id) {
  auto st = db.prepare("SELECT 1 FROM snapshots WHERE individual_id = ?1");
  st.bind(1, individual_id);
  return st.step();
}

}  // namespace seedline::store
