// Snapshot codecs: both round-trip every float bit pattern at every size around the piece
// boundaries, 'zstd-planes' lays bytes out as docs/genome.md says, and every kind of damage
// to a blob is refused naming the individual before anything is decoded from it.
#include "store/snapshot_codec.hpp"

#include <gtest/gtest.h>
#include <zstd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"

namespace seedline::store {
namespace {

constexpr int64_t kId = 4242;

// Awkward bit patterns first (signed zeros, a denormal, infinities, a NaN with payload), then
// float noise like a genotype's, with a value that repeats so zstd finds something to do.
std::vector<float> genotype(size_t n) {
  const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::nanf("0x12345"), 1.5f, -3.25e-20f};
  std::vector<float> g(n);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    g[i] = i < std::size(specials) ? specials[i] : (i % 97 == 0 ? 0.25f : static_cast<float>(static_cast<int32_t>(x >> 32)) * 1e-11f);
  }
  return g;
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<float> decode(std::string_view codec, std::span<const std::byte> blob, size_t values) {
  const SnapshotPieces pieces(kId, std::string(codec), static_cast<int64_t>(values * 4), blob);
  std::vector<float> out(pieces.values());
  pieces.decode_all(out);
  return out;
}

TEST(SnapshotCodec, BothCodecsRoundTripEveryBitAtEverySizeAroundPieceBoundaries) {
  constexpr size_t P = kSnapshotPieceValues;
  for (const size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{17}, P - 1, P, P + 1, 3 * P + 5}) {
    SCOPED_TRACE(n);
    const auto g = genotype(n);
    for (const auto codec : {kSnapshotCodecZstd, kSnapshotCodecPlanes}) {
      SCOPED_TRACE(std::string(codec));
      const auto blob = encode_snapshot(codec, g, 1);
      EXPECT_TRUE(same_bits(decode(codec, blob, n), g));
    }
    const auto blob = encode_snapshot(kSnapshotCodecPlanes, g, 1);
    const SnapshotPieces pieces(kId, std::string(kSnapshotCodecPlanes), static_cast<int64_t>(n * 4), blob);
    EXPECT_EQ(pieces.piece_count(), n == 0 ? 1 : (n + P - 1) / P);
    EXPECT_EQ(pieces.piece_values(), std::min(n, P));
    // Pieces decode alone, in any order, into their own range.
    std::vector<float> out(n);
    for (size_t k = pieces.piece_count(); k-- > 0;) {
      const size_t begin = k * pieces.piece_values();
      pieces.decode_piece(k, std::span(out).subspan(begin, std::min(P, n - begin)));
    }
    EXPECT_TRUE(same_bits(out, g));
  }
}

TEST(SnapshotCodec, PlanesLayoutIsThreeLowBytePlanesThenTheHighPlanePerPiece) {
  // Two pieces: P values of 1.5f (0x3fc00000), then 2 values of -2.0f (0xc0000000) and
  // 0x01020304 (a denormal): decompressed with plain zstd, frame by frame.
  constexpr size_t P = kSnapshotPieceValues;
  std::vector<float> g(P, 1.5f);
  g.push_back(-2.0f);
  g.push_back(std::bit_cast<float>(uint32_t{0x01020304}));
  const auto blob = encode_snapshot(kSnapshotCodecPlanes, g, 1);
  std::vector<std::vector<uint8_t>> frames;
  for (size_t at = 0; at < blob.size();) {
    const size_t size = ZSTD_findFrameCompressedSize(blob.data() + at, blob.size() - at);
    ASSERT_FALSE(ZSTD_isError(size));
    const auto content = ZSTD_getFrameContentSize(blob.data() + at, size);
    std::vector<uint8_t> raw(content);
    ASSERT_EQ(ZSTD_decompress(raw.data(), raw.size(), blob.data() + at, size), content);
    frames.push_back(raw);
    at += size;
  }
  ASSERT_EQ(frames.size(), 4u);
  ASSERT_EQ(frames[0].size(), 3 * P);
  ASSERT_EQ(frames[1].size(), P);
  EXPECT_EQ(frames[0][0], 0x00);
  EXPECT_EQ(frames[0][P], 0x00);
  EXPECT_EQ(frames[0][2 * P + 7], 0xc0);
  EXPECT_EQ(frames[1][P - 1], 0x3f);
  EXPECT_EQ(frames[2], (std::vector<uint8_t>{0x00, 0x04, 0x00, 0x03, 0x00, 0x02}));
  EXPECT_EQ(frames[3], (std::vector<uint8_t>{0xc0, 0x01}));
}

TEST(SnapshotCodec, DamagedPlanesBlobsAreRefusedNamingTheIndividual) {
  constexpr size_t P = kSnapshotPieceValues;
  const size_t n = 2 * P + 100;
  const auto good = encode_snapshot(kSnapshotCodecPlanes, genotype(n), 1);
  const auto frame = [](std::span<const std::byte> raw) {
    std::vector<std::byte> out(ZSTD_compressBound(raw.size()));
    out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1));
    return out;
  };
  const auto concat = [](std::initializer_list<std::vector<std::byte>> parts) {
    std::vector<std::byte> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  const std::vector<std::byte> zeros(4 * P);
  auto flipped = good;
  flipped[flipped.size() / 2] ^= std::byte{0xff};  // inside a frame: zstd or the checksum says so
  struct Case {
    const char* name;
    std::vector<std::byte> blob;
    int64_t raw_bytes;
  };
  const Case cases[] = {
      {"garbage", {std::byte{0}, std::byte{0x11}, std::byte{0x22}, std::byte{0x33}}, static_cast<int64_t>(4 * n)},
      {"empty", {}, static_cast<int64_t>(4 * n)},
      {"truncated frame", std::vector<std::byte>(good.begin(), good.end() - 9), static_cast<int64_t>(4 * n)},
      {"a whole piece missing", concat({frame(std::span(zeros).first(3 * P)), frame(std::span(zeros).first(P))}),
       static_cast<int64_t>(4 * n)},
      {"high plane missing", frame(std::span(zeros).first(3 * P)), static_cast<int64_t>(4 * P)},
      {"trailing bytes", concat({good, {std::byte{0}}}), static_cast<int64_t>(4 * n)},
      {"trailing frame", concat({good, frame(std::span(zeros).first(3))}), static_cast<int64_t>(4 * n)},
      {"raw size smaller", good, static_cast<int64_t>(4 * n - 4)},
      {"raw size larger", good, static_cast<int64_t>(4 * n + 4)},
      {"raw size not whole floats", good, static_cast<int64_t>(4 * n + 2)},
      {"planes of different sizes", concat({frame(std::span(zeros).first(3 * 10)), frame(std::span(zeros).first(11))}),
       40},
      {"low planes not a multiple of 3", concat({frame(std::span(zeros).first(31)), frame(std::span(zeros).first(10))}),
       40},
      {"a short piece before the last",
       concat({frame(std::span(zeros).first(3 * 20)), frame(std::span(zeros).first(20)),
               frame(std::span(zeros).first(3 * 10)), frame(std::span(zeros).first(10)),
               frame(std::span(zeros).first(3 * 20)), frame(std::span(zeros).first(20))}),
       200},
      {"a piece larger than the first",
       concat({frame(std::span(zeros).first(3 * 10)), frame(std::span(zeros).first(10)),
               frame(std::span(zeros).first(3 * 20)), frame(std::span(zeros).first(20))}),
       120},
      {"an empty piece", concat({frame(std::span(zeros).first(0)), frame(std::span(zeros).first(0))}), 40},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      const SnapshotPieces pieces(kId, std::string(kSnapshotCodecPlanes), c.raw_bytes, c.blob);
      std::vector<float> out(pieces.values());
      pieces.decode_all(out);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
      EXPECT_NE(std::string(e.what()).find("snapshot of individual " + std::to_string(kId) + " is corrupt"),
                std::string::npos)
          << e.what();
    }
  }
  // Damage inside a frame's data: either zstd refuses it (naming the individual) or the bits
  // differ, which only the genotype's checksum can tell (tests/lineage covers that).
  try {
    EXPECT_FALSE(same_bits(decode(kSnapshotCodecPlanes, flipped, n), genotype(n)));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
    EXPECT_NE(std::string(e.what()).find("individual " + std::to_string(kId)), std::string::npos) << e.what();
  }
}

TEST(SnapshotCodec, AnUnknownCodecIsNamedAsUnreadableNotCorrupt) {
  const auto blob = encode_snapshot(kSnapshotCodecPlanes, genotype(10), 1);
  try {
    SnapshotPieces(kId, "zstd-planes-v2", 40, blob);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnimplemented);
    EXPECT_NE(std::string(e.what()).find("individual 4242 uses codec 'zstd-planes-v2', which this seedline cannot read"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(encode_snapshot("lz4", genotype(10), 1), Error);
}

TEST(SnapshotCodec, PutWritesPlanesAndOldZstdRowsStillRead) {
  auto db = Database::open_memory();
  migrate(db);
  const int64_t e = insert_experiment(db, "codec", "{}");
  const int64_t run = insert_run(db, e, insert_condition(db, e, 0, "a", "{}"), 0, 1, 1);
  const NewIndividual rows[] = {{std::nullopt, 1, 0, std::nullopt, std::nullopt},
                                {std::nullopt, 2, 0, std::nullopt, std::nullopt}};
  const int64_t first = insert_individuals(db, run, rows).first;
  const auto g = genotype(kSnapshotPieceValues + 3);
  put_snapshot(db, run, first, g, 7);
  put_snapshot(db, run, first + 1, g, 7, kSnapshotCodecZstd);  // as seedline wrote them before
  auto st = db.prepare("SELECT codec FROM snapshots ORDER BY individual_id");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "zstd-planes");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "zstd");
  for (const int64_t id : {first, first + 1}) {
    const auto back = find_snapshot(db, id);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->checksum, 7u);
    EXPECT_TRUE(same_bits(back->genotype, g));
    const auto open = open_snapshot(db, id);
    ASSERT_TRUE(open);
    EXPECT_EQ(open->pieces.piece_count(), id == first ? 2u : 1u);
  }
  EXPECT_FALSE(open_snapshot(db, first + 2));
}

}  // namespace
}  // namespace seedline::store
