#include "store/es_state_repo.hpp"

#include <xxhash.h>

#include <string>

#include "store/snapshot_codec.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::store {
namespace {

[[noreturn]] void corrupt(int64_t id, const std::string& why) {
  corruption("optimizer state of individual " + std::to_string(id) + " is corrupt: " + why);
}

std::vector<float> both_moments(const EsStateRow& s) {
  std::vector<float> both(s.m);
  both.insert(both.end(), s.v.begin(), s.v.end());
  return both;
}

uint64_t checksum_of(std::span<const std::byte> raw) { return XXH64(raw.data(), raw.size(), 0); }

}  // namespace

void put_es_state(Database& db, const EsStateRow& state) {
  if (state.m.size() != state.v.size()) {
    invalid_argument("optimizer state of individual " + std::to_string(state.individual_id) + ": m has " +
                     std::to_string(state.m.size()) + " values but v " + std::to_string(state.v.size()));
  }
  const auto both = both_moments(state);
  const auto raw = genotype_to_bytes(both);
  const uint64_t checksum = checksum_of(raw);
  const auto packed = encode_snapshot(kSnapshotCodecZstd, both, kSnapshotZstdLevel);
  auto st = db.prepare(
      "INSERT INTO es_states(individual_id, run_id, step, codec, raw_bytes, checksum, data) "
      "VALUES (?1, ?2, ?3, 'zstd', ?4, ?5, ?6) ON CONFLICT(individual_id) DO NOTHING");
  st.bind(1, state.individual_id).bind(2, state.run_id).bind(3, state.step);
  st.bind(4, static_cast<int64_t>(raw.size())).bind(5, checksum);
  st.bind_blob(6, packed);
  st.run();
  if (db.changes() == 1) return;
  auto old = db.prepare("SELECT step, checksum, run_id FROM es_states WHERE individual_id = ?1");
  old.bind(1, state.individual_id);
  if (!old.step()) fail(ErrorCode::kInternal, "optimizer state of individual " + std::to_string(state.individual_id) + " vanished");
  if (old.column_int64(0) != state.step || old.column_uint64(1) != checksum || old.column_int64(2) != state.run_id) {
    failed_precondition("individual " + std::to_string(state.individual_id) +
                        " already has an optimizer state (step " + std::to_string(old.column_int64(0)) +
                        ", checksum " + hex64(old.column_uint64(1)) + "), refusing to replace it with step " +
                        std::to_string(state.step) + ", checksum " + hex64(checksum));
  }
}

std::optional<EsStateRow> find_es_state(Database& db, int64_t individual_id) {
  auto st = db.prepare(
      "SELECT run_id, step, codec, raw_bytes, checksum, data FROM es_states WHERE individual_id = ?1");
  st.bind(1, individual_id);
  if (!st.step()) return std::nullopt;
  EsStateRow s;
  s.individual_id = individual_id;
  s.run_id = st.column_int64(0);
  s.step = st.column_int64(1);
  const std::string codec = st.column_text(2);
  const int64_t raw_size = st.column_int64(3);
  const uint64_t stored = st.column_uint64(4);
  const auto blob = st.column_blob(5);
  if (s.step < 0) corrupt(individual_id, "step " + std::to_string(s.step) + " is negative");
  if (raw_size < 0 || raw_size % 8 != 0) {
    corrupt(individual_id, "raw size " + std::to_string(raw_size) + " is not two equal float32 vectors");
  }
  std::vector<float> both(static_cast<size_t>(raw_size) / 4);
  try {
    SnapshotPieces(individual_id, codec, raw_size, blob).decode_all(both);
  } catch (const Error& e) {
    // The codec names the blob a snapshot; say which table it came from.
    fail(e.code(), "optimizer state of individual " + std::to_string(individual_id) + ": " + e.what());
  }
  const uint64_t actual = checksum_of(genotype_to_bytes(both));
  if (actual != stored) corrupt(individual_id, "checksum " + hex64(actual) + " but " + hex64(stored) + " is stored");
  const size_t half = both.size() / 2;
  s.m.assign(both.begin(), both.begin() + static_cast<std::ptrdiff_t>(half));
  s.v.assign(both.begin() + static_cast<std::ptrdiff_t>(half), both.end());
  return s;
}

}  // namespace seedline::store
