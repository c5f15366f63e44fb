// The piecewise replay of lineage::rebuild (GenomeOps::mutate_range + checksum_stream, the
// pieces run on a ParallelPieces): the same bits, statistics and errors as the whole-genotype
// replay, from a snapshot in either codec, the cache or the root, whatever runs the pieces.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "genome/genome.hpp"
#include "lineage/lineage_testing.hpp"
#include "lineage/rebuild.hpp"
#include "runner/thread_pool.hpp"
#include "store/migrations.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"

namespace seedline::lineage {
namespace {

using namespace fixtures;

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

ParallelPieces on(runner::ThreadPool& pool) {
  return [&pool](size_t n, const std::function<void(size_t)>& piece) {
    pool.parallel_for(n, [&](size_t i, int) { piece(i); });
  };
}
// Every piece on its own thread at once: the most waiting between pieces.
void all_at_once(size_t n, const std::function<void(size_t)>& piece) {
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) threads.emplace_back([&piece, i] { piece(i); });
  for (auto& t : threads) t.join();
}
void reversed(size_t n, const std::function<void(size_t)>& piece) {
  for (size_t i = n; i-- > 0;) piece(i);
}

class PiecewiseRebuild : public ::testing::Test {
 protected:
  void SetUp() override {
    store::migrate(db_);
    run_ = make_run(db_);
  }

  // The whole-genotype replay of the same genome: the reference.
  GenomeOps whole() const {
    auto ops = genome_.ops();
    ops.mutate_range = nullptr;
    ops.checksum_stream = nullptr;
    return ops;
  }

  // 160,400 values: ten pieces of 2^14, the last ragged.
  genome::Genome genome_{genome::parse_architecture(nlohmann::json::parse(R"([{"type": "dense", "in": 400, "out": 400}])"),
                                                    std::nullopt),
                         {}, {0.02, 0.01, std::nullopt}, 1};
  store::Database db_ = store::Database::open_memory();
  int64_t run_ = 0;
  runner::ThreadPool pool2_{2}, pool3_{3};
};

TEST_F(PiecewiseRebuild, EveryWayOfRunningThePiecesGivesTheBitsAndStatsOfTheWholeReplay) {
  const auto chain = build_chain(db_, run_, whole(), {.depth = 60, .snapshot_every = 25});
  const std::pair<const char*, ParallelPieces> runners[] = {
      {"caller", {}}, {"2 threads", on(pool2_)}, {"3 threads", on(pool3_)}, {"all at once", all_at_once},
      {"reversed", reversed}};
  for (const int k : {0, 7, 25, 26, 49, 50, 60}) {
    SCOPED_TRACE(k);
    RebuildStats expected;
    ASSERT_TRUE(same_bits(rebuild(db_, chain.ids[k], whole(), nullptr, &expected), chain.genotypes[k]));
    for (const auto& [name, parallel] : runners) {
      SCOPED_TRACE(name);
      RebuildStats stats;
      EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[k], genome_.ops(parallel), nullptr, &stats), chain.genotypes[k]));
      EXPECT_EQ(stats.start, expected.start);
      EXPECT_EQ(stats.start_id, expected.start_id);
      EXPECT_EQ(stats.steps_replayed, expected.steps_replayed);
      EXPECT_EQ(stats.checksums_verified, expected.checksums_verified);
    }
  }
}

TEST_F(PiecewiseRebuild, OldSingleFrameSnapshotsAndCachedStartsReplayPiecewiseToo) {
  const auto chain = build_chain(db_, run_, whole(), {.depth = 40});
  // A snapshot as seedline wrote them before 'zstd-planes': one zstd frame.
  store::put_snapshot(db_, run_, chain.ids[20], chain.genotypes[20], genome::Genome::checksum(chain.genotypes[20]),
                      store::kSnapshotCodecZstd);
  RebuildStats stats;
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[33], genome_.ops(on(pool2_)), nullptr, &stats), chain.genotypes[33]));
  EXPECT_EQ(stats.start, RebuildStart::kSnapshot);
  EXPECT_EQ(stats.steps_replayed, 13);
  EXPECT_EQ(stats.checksums_verified, 15);  // the snapshot's, its row's, 13 replayed parents'

  GenotypeCache cache;
  cache.put(chain.ids[30], chain.genotypes[30]);
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[40], genome_.ops(on(pool3_)), &cache, &stats), chain.genotypes[40]));
  EXPECT_EQ(stats.start, RebuildStart::kCache);
  EXPECT_EQ(stats.steps_replayed, 10);
  ASSERT_TRUE(cache.get(chain.ids[40]));
  EXPECT_TRUE(same_bits(*cache.get(chain.ids[40]), chain.genotypes[40]));
}

TEST_F(PiecewiseRebuild, DamageAndWrongChecksumsFailNamingTheIndividualOnAnyRunner) {
  const auto chain = build_chain(db_, run_, whole(), {.depth = 60, .snapshot_every = 25});
  const auto snap = std::to_string(chain.ids[50]);
  // The generation-50 genotype minus its last value, encoded right: a valid blob of the wrong size.
  const auto shorter = store::encode_snapshot(
      store::kSnapshotCodecPlanes, std::span(chain.genotypes[50]).first(chain.genotypes[50].size() - 1), 1);
  auto flipped = [&] {
    auto st = db_.prepare("SELECT data FROM snapshots WHERE individual_id = " + snap);
    EXPECT_TRUE(st.step());
    return st.column_blob(0);
  }();
  flipped.at(200000) ^= std::byte{0xff};
  struct Case {
    const char* name;
    std::string sql;
    int64_t names;
    const std::vector<std::byte>* blob = nullptr;  // bound as ?1
  };
  const Case cases[] = {
      {"garbage", "UPDATE snapshots SET data = x'0011223344556677' WHERE individual_id = " + snap, chain.ids[50]},
      {"truncated frame", "UPDATE snapshots SET data = substr(data, 1, length(data) - 9) WHERE individual_id = " + snap,
       chain.ids[50]},
      {"trailing bytes", "UPDATE snapshots SET data = data || x'00' WHERE individual_id = " + snap, chain.ids[50]},
      {"raw size", "UPDATE snapshots SET raw_bytes = raw_bytes - 4 WHERE individual_id = " + snap, chain.ids[50]},
      {"a piece's size", "UPDATE snapshots SET data = ?1 WHERE individual_id = " + snap, chain.ids[50], &shorter},
      {"a byte inside a frame", "UPDATE snapshots SET data = ?1 WHERE individual_id = " + snap, chain.ids[50],
       &flipped},
      {"swapped", "UPDATE snapshots SET data = (SELECT data FROM snapshots WHERE individual_id = " +
                      std::to_string(chain.ids[25]) + ") WHERE individual_id = " + snap,
       chain.ids[50]},
      {"a replayed parent's checksum",
       "UPDATE individuals SET checksum = checksum + 1 WHERE id = " + std::to_string(chain.ids[53]), chain.ids[53]},
  };
  const std::pair<const char*, ParallelPieces> runners[] = {
      {"caller", {}}, {"2 threads", on(pool2_)}, {"all at once", all_at_once}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    db_.exec("SAVEPOINT damage");
    {
      auto st = db_.prepare(c.sql);
      if (c.blob != nullptr) st.bind_blob(1, *c.blob);
      st.run();
    }
    for (const auto& [name, parallel] : runners) {
      SCOPED_TRACE(name);
      try {
        rebuild(db_, chain.ids[55], genome_.ops(parallel));
        ADD_FAILURE() << "no error";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
        EXPECT_NE(std::string(e.what()).find("individual " + std::to_string(c.names)), std::string::npos) << e.what();
      }
    }
    db_.exec("ROLLBACK TO damage");
    db_.exec("RELEASE damage");
  }
  EXPECT_TRUE(same_bits(rebuild(db_, chain.ids[55], genome_.ops(on(pool2_))), chain.genotypes[55]));
}

TEST_F(PiecewiseRebuild, AFailingPieceStopsTheOthersAndItsErrorComesBack) {
  const auto chain = build_chain(db_, run_, whole(), {.depth = 30, .snapshot_every = 25});
  for (const auto& [name, parallel] : {std::pair<const char*, ParallelPieces>{"2 threads", on(pool2_)},
                                       {"all at once", all_at_once}, {"caller", {}}}) {
    SCOPED_TRACE(name);
    auto ops = genome_.ops(parallel);
    std::atomic<int> calls{0};
    ops.mutate_range = [&](std::span<float> g, uint64_t seed, size_t begin, size_t end) {
      if (begin > 0 && ++calls == 3) throw std::runtime_error("mutation failed");
      genome_.mutate_range(g, seed, begin, end);
    };
    EXPECT_THROW(rebuild(db_, chain.ids[29], ops), std::runtime_error);
  }
}

}  // namespace
}  // namespace seedline::lineage
