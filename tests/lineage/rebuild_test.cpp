// Rebuilding genotypes from seed lineages: bit-exact results at any depth, replay bounded by
// the snapshot interval, loud failures on any checksum or snapshot damage, and cache use.
#include "lineage/rebuild.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "lineage/lineage_testing.hpp"
#include "store/migrations.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"

namespace seedline::lineage {
namespace {

using namespace fixtures;

// Bitwise equality, so -0.0 vs 0.0 or a differently rounded value is caught.
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class Rebuild : public ::testing::Test {
 protected:
  void SetUp() override {
    store::migrate(db_);
    run_ = make_run(db_);
  }

  // Expects `fn` to throw kCorruption whose message names individual `id`.
  template <typename Fn>
  void expect_corruption_naming(Fn fn, int64_t id) {
    try {
      fn();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
      EXPECT_NE(std::string(e.what()).find("individual " + std::to_string(id)), std::string::npos) << e.what();
    }
  }

  store::Database db_ = store::Database::open_memory();
  int64_t run_ = 0;
  GenomeOps ops_ = fake_genome();
};

TEST_F(Rebuild, WithoutSnapshotsEveryDepthReplaysFromTheRootBitExactly) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 300});
  for (int k = 0; k <= 300; k += (k < 10 ? 1 : 29)) {
    SCOPED_TRACE(k);
    RebuildStats stats;
    const auto g = rebuild(db_, chain.ids[k], ops_, nullptr, &stats);
    EXPECT_TRUE(same_bits(g, chain.genotypes[k]));
    EXPECT_EQ(stats.start, RebuildStart::kRoot);
    EXPECT_EQ(stats.start_id, chain.ids[0]);
    EXPECT_EQ(stats.steps_replayed, k);
    EXPECT_EQ(stats.path_length, static_cast<size_t>(k + 1));
  }
  RebuildStats stats;
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[300], ops_, nullptr, &stats), chain.genotypes[300]));
  EXPECT_EQ(stats.steps_replayed, 300);
  // Root and the 299 parents below it carry checksums; the leaf (never a parent) does not.
  EXPECT_EQ(stats.checksums_verified, 300);
}

TEST_F(Rebuild, SnapshotsEvery25BoundTheReplayAtAnyDepth) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 300, .snapshot_every = 25});
  int worst = 0;
  for (int k = 0; k <= 300; ++k) {
    SCOPED_TRACE(k);
    RebuildStats stats;
    const auto g = rebuild(db_, chain.ids[k], ops_, nullptr, &stats);
    ASSERT_TRUE(same_bits(g, chain.genotypes[k]));
    // The nearest snapshot is generation 25*floor(k/25); below 25 the root is the start.
    EXPECT_EQ(stats.steps_replayed, k % 25);
    EXPECT_EQ(stats.start, k >= 25 ? RebuildStart::kSnapshot : RebuildStart::kRoot);
    EXPECT_EQ(stats.start_id, chain.ids[k - k % 25]);
    EXPECT_LE(stats.path_length, 25u);
    worst = std::max(worst, stats.steps_replayed);
  }
  EXPECT_EQ(worst, 24);
}

TEST_F(Rebuild, ASiblingBranchRebuildsFromTheSharedSnapshot) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 60, .snapshot_every = 25});
  // A second child of generation 50 (which has a snapshot), then a grandchild.
  const uint64_t s1 = 0xfeedfacecafebeefULL, s2 = 0x8000000000000001ULL;
  const int64_t child = add(db_, run_, chain.ids[50], 51, s1);
  const int64_t grandchild = add(db_, run_, child, 52, s2);
  auto expected = chain.genotypes[50];
  ops_.mutate(expected, s1);
  ops_.mutate(expected, s2);
  RebuildStats stats;
  EXPECT_TRUE(same_bits(rebuild(db_, grandchild, ops_, nullptr, &stats), expected));
  EXPECT_EQ(stats.start_id, chain.ids[50]);
  EXPECT_EQ(stats.steps_replayed, 2);
}

TEST_F(Rebuild, AWrongStoredChecksumFailsNamingTheIndividual) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 40});
  db_.exec("UPDATE individuals SET checksum = checksum + 1 WHERE id = " + std::to_string(chain.ids[17]));
  expect_corruption_naming([&] { rebuild(db_, chain.ids[40], ops_); }, chain.ids[17]);
  expect_corruption_naming([&] { rebuild(db_, chain.ids[17], ops_); }, chain.ids[17]);
  // Above the damage the lineage still rebuilds.
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[16], ops_), chain.genotypes[16]));
}

TEST_F(Rebuild, AChangedSeedIsCaughtByTheNextChecksum) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 10});
  db_.exec("UPDATE individuals SET seed = seed + 1 WHERE id = " + std::to_string(chain.ids[4]));
  expect_corruption_naming([&] { rebuild(db_, chain.ids[9], ops_); }, chain.ids[4]);
  // The leaf has no checksum of its own, but its parent's is on the way.
  expect_corruption_naming([&] { rebuild(db_, chain.ids[10], ops_); }, chain.ids[4]);
}

TEST_F(Rebuild, ATargetChecksumIsVerifiedEvenWithoutOthers) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 10, .checksum_parents = false});
  store::set_checksum(db_, chain.ids[10], ops_.checksum(chain.genotypes[10]) ^ 1);
  expect_corruption_naming([&] { rebuild(db_, chain.ids[10], ops_); }, chain.ids[10]);
}

TEST_F(Rebuild, ADamagedSnapshotBlobFailsNamingTheIndividual) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 60, .snapshot_every = 25});
  const auto snap = std::to_string(chain.ids[50]);
  struct Case {
    const char* name;
    std::string sql;
  };
  const Case cases[] = {
      {"garbage", "UPDATE snapshots SET data = x'0011223344556677' WHERE individual_id = " + snap},
      {"truncated", "UPDATE snapshots SET data = substr(data, 1, length(data) - 9) WHERE individual_id = " + snap},
      {"trailing bytes", "UPDATE snapshots SET data = data || x'00' WHERE individual_id = " + snap},
      {"raw size", "UPDATE snapshots SET raw_bytes = raw_bytes - 4 WHERE individual_id = " + snap},
      // A valid frame holding another genotype: only the checksum can tell.
      {"swapped", "UPDATE snapshots SET data = (SELECT data FROM snapshots WHERE individual_id = " +
                      std::to_string(chain.ids[25]) + ") WHERE individual_id = " + snap},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    db_.exec("SAVEPOINT damage");
    db_.exec(c.sql);
    expect_corruption_naming([&] { rebuild(db_, chain.ids[55], ops_); }, chain.ids[50]);
    db_.exec("ROLLBACK TO damage");
    db_.exec("RELEASE damage");
  }
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[55], ops_), chain.genotypes[55]));
}

TEST_F(Rebuild, TheCacheShortensReplayAndReceivesResults) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 100});
  GenotypeCache cache(size_t{1} << 20);
  RebuildStats stats;
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[60], ops_, &cache, &stats), chain.genotypes[60]));
  EXPECT_EQ(stats.start, RebuildStart::kRoot);
  EXPECT_EQ(stats.steps_replayed, 60);
  EXPECT_TRUE(cache.contains(chain.ids[60]));

  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[60], ops_, &cache, &stats), chain.genotypes[60]));
  EXPECT_EQ(stats.start, RebuildStart::kCache);
  EXPECT_EQ(stats.steps_replayed, 0);

  const uint64_t hits = cache.hits();
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[63], ops_, &cache, &stats), chain.genotypes[63]));
  EXPECT_EQ(stats.start, RebuildStart::kCache);
  EXPECT_EQ(stats.start_id, chain.ids[60]);
  EXPECT_EQ(stats.steps_replayed, 3);
  EXPECT_EQ(cache.hits(), hits + 1);
}

TEST_F(Rebuild, ACachedGenotypeBeatsASnapshotFurtherUp) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 60, .snapshot_every = 25});
  GenotypeCache cache;
  cache.put(chain.ids[58], chain.genotypes[58]);
  RebuildStats stats;
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[60], ops_, &cache, &stats), chain.genotypes[60]));
  EXPECT_EQ(stats.start, RebuildStart::kCache);
  EXPECT_EQ(stats.steps_replayed, 2);
  // A genotype read from its own snapshot is cached too (decompression is not free).
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[50], ops_, &cache, &stats), chain.genotypes[50]));
  EXPECT_EQ(stats.start, RebuildStart::kSnapshot);
  EXPECT_TRUE(cache.contains(chain.ids[50]));
}

TEST_F(Rebuild, UnknownIdsAndMissingOpsAreRefused) {
  try {
    rebuild(db_, 123, ops_);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_STREQ(e.what(), "individual 123 does not exist");
  }
  const int64_t root = add(db_, run_, std::nullopt, 0, 1);
  GenomeOps partial = ops_;
  partial.mutate = nullptr;
  EXPECT_THROW(rebuild(db_, root, partial), Error);
}

TEST_F(Rebuild, WriteSnapshotChecksRunAndChecksum) {
  const auto chain = build_chain(db_, run_, ops_, {.depth = 3});
  const int64_t other_run = make_run(db_, 1);
  const auto& g = chain.genotypes[2];
  EXPECT_THROW(write_snapshot(db_, other_run, chain.ids[2], g, ops_.checksum(g)), Error);
  EXPECT_THROW(write_snapshot(db_, run_, chain.ids[2], g, ops_.checksum(g) + 1), Error);
  EXPECT_FALSE(store::has_snapshot(db_, chain.ids[2]));
  write_snapshot(db_, run_, chain.ids[2], g, ops_.checksum(g));
  write_snapshot(db_, run_, chain.ids[2], g, ops_.checksum(g));  // a resumed generation repeats it
  // The leaf had no checksum: writing its snapshot records one.
  write_snapshot(db_, run_, chain.ids[3], chain.genotypes[3], ops_.checksum(chain.genotypes[3]));
  EXPECT_EQ(store::get_individual(db_, chain.ids[3]).checksum, ops_.checksum(chain.genotypes[3]));
  EXPECT_THROW(write_snapshot(db_, run_, 9999, g, 1), Error);
}

}  // namespace
}  // namespace seedline::lineage
