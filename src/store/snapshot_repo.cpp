#include "store/snapshot_repo.hpp"

#include <sqlite3.h>

#include <bit>
#include <string>
#include <utility>

#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::store {

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
  put_snapshot(db, run_id, individual_id, genotype, checksum, kSnapshotCodecCurrent);
}

void put_snapshot(Database& db, int64_t run_id, int64_t individual_id, std::span<const float> genotype,
                  uint64_t checksum, std::string_view codec) {
  std::vector<std::byte> packed;
  try {
    packed = encode_snapshot(codec, genotype, codec == kSnapshotCodecZstd ? kSnapshotZstdLevel : kSnapshotPlanesZstdLevel);
  } catch (const Error& e) {
    fail(e.code(), "snapshot of individual " + std::to_string(individual_id) + ": " + e.what());
  }
  auto st = db.prepare(
      "INSERT INTO snapshots(individual_id, run_id, codec, raw_bytes, checksum, data) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(individual_id) DO NOTHING");
  st.bind(1, individual_id).bind(2, run_id).bind(3, codec).bind(4, static_cast<int64_t>(genotype.size() * 4));
  st.bind(5, checksum).bind_blob(6, packed);
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

std::optional<OpenSnapshot> open_snapshot(Database& db, int64_t individual_id) {
  // The raw sqlite3 API here, not Statement: SnapshotPieces reads the blob where SQLite put
  // it (no 4 MB copy per rebuild), so the statement must outlive this function.
  static constexpr char kSql[] =
      "SELECT run_id, codec, raw_bytes, checksum, data FROM snapshots WHERE individual_id = ?1";
  sqlite3_stmt* raw = nullptr;
  if (const int rc = sqlite3_prepare_v2(db.handle(), kSql, -1, &raw, nullptr); rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    db.raise(rc, "reading the snapshot of individual " + std::to_string(individual_id));
  }
  std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> st(raw, [](sqlite3_stmt* s) { sqlite3_finalize(s); });
  sqlite3_bind_int64(st.get(), 1, individual_id);
  const int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) db.raise(rc, "reading the snapshot of individual " + std::to_string(individual_id));
  const int64_t run_id = sqlite3_column_int64(st.get(), 0);
  const auto* codec = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1));
  const int64_t raw_bytes = sqlite3_column_int64(st.get(), 2);
  const auto checksum = static_cast<uint64_t>(sqlite3_column_int64(st.get(), 3));
  const auto* blob = static_cast<const std::byte*>(sqlite3_column_blob(st.get(), 4));
  const auto blob_size = static_cast<size_t>(sqlite3_column_bytes(st.get(), 4));
  SnapshotPieces pieces(individual_id, codec == nullptr ? std::string() : std::string(codec), raw_bytes,
                        std::span<const std::byte>(blob, blob == nullptr ? 0 : blob_size));
  return OpenSnapshot{individual_id, run_id, checksum, std::move(st), std::move(pieces)};
}

std::optional<Snapshot> find_snapshot(Database& db, int64_t individual_id) {
  auto open = open_snapshot(db, individual_id);
  if (!open) return std::nullopt;
  Snapshot s;
  s.individual_id = individual_id;
  s.run_id = open->run_id;
  s.checksum = open->checksum;
  s.genotype.resize(open->pieces.values());
  open->pieces.decode_all(s.genotype);
  return s;
}

bool has_snapshot(Database& db, int64_t individual_id) {
  auto st = db.prepare("SELECT 1 FROM snapshots WHERE individual_id = ?1");
  st.bind(1, individual_id);
  return st.step();
}

}  // namespace seedline::store
