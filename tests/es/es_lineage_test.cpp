// An ES run's lineage as stored by the runner (src/es/lineage.*): every center rebuilds from
// the nearest center snapshot with at most snapshot_every - 1 updates, verifying the stored
// checksums on the way, to the same bits on 1 and 3 threads and whatever the cache holds;
// members rebuild from their centers; damaged optimizer states and member counts are named.
#include "es/lineage.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "genome/run_genome.hpp"
#include "http/api.hpp"
#include "individual/individual.hpp"
#include "runner/thread_pool.hpp"
#include "store/es_state_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "store/summary_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::es {
namespace {

using nlohmann::json;

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// One ES run of 13 generations with snapshots every 4 (centers 4, 8, 12 and the final 13).
class EsLineage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const json spec = {{"name", "es-lineage"},
                       {"seed", 8},
                       {"task", {{"type", "sphere"}}},
                       {"network", json::array({{{"type", "dense"}, {"in", 6}, {"out", 5}}})},
                       {"ga", {{"population", 10}, {"generations", 13}, {"snapshot_every", 4}}},
                       {"algorithm", {{"type", "es"}, {"optimizer", "adam"}, {"learning_rate", 0.05}}}};
    testing::write_file(*dir_ / "es.json", spec.dump());
    const auto r = testing::run_seedline({"--db", db_path().string(), "run", (*dir_ / "es.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path db_path() { return *dir_ / "es.db"; }

  // Center g (g = 0..13) by walking the generations' parents.
  std::vector<int64_t> centers() {
    std::vector<int64_t> out = {store::individuals_of_run(db_, 1).front().id};
    for (const auto& g : store::list_generations(db_, 1)) out.push_back(g.parents.at(0));
    return out;
  }

  static inline testing::TempDir* dir_ = nullptr;
  store::Database db_ = store::open_database(db_path(), store::OpenPurpose::kRead);
  genome::RunModel model_ = genome::run_model(db_, 1);
  EsRun run_ = individual::es_run(model_);
};

TEST_F(EsLineage, EveryCenterRebuildsWithinTheSnapshotIntervalToTheSameBitsOnAnyThreadCount) {
  const auto ids = centers();
  ASSERT_EQ(ids.size(), 14u);
  runner::ThreadPool pool(3);
  const ParallelFor three = [&pool](size_t n, const std::function<void(size_t, int)>& fn) { pool.parallel_for(n, fn); };
  for (size_t g = 0; g < ids.size(); ++g) {
    SCOPED_TRACE(g);
    CenterRebuildStats stats;
    const auto one = rebuild_center(db_, ids[g], run_, serial(), &stats);
    // The nearest snapshot is center 4*floor(g/4) (and 13 has its own); below 4 center 0.
    const size_t start = g == 13 ? 13 : g - g % 4;
    EXPECT_EQ(stats.start_id, ids[start]);
    EXPECT_EQ(stats.updates_replayed, static_cast<int>(g - start));
    EXPECT_LE(stats.updates_replayed, 3);
    EXPECT_GE(stats.checksums_verified, 1 + stats.updates_replayed);
    EXPECT_EQ(one.state.step, static_cast<int64_t>(g));
    const auto other = rebuild_center(db_, ids[g], run_, three);
    EXPECT_TRUE(same_bits(one.genotype, other.genotype));
    EXPECT_TRUE(same_bits(one.state.m, other.state.m));
    EXPECT_TRUE(same_bits(one.state.v, other.state.v));
  }
}

TEST_F(EsLineage, AMemberIsItsCenterPlusItsSignedPerturbation) {
  const auto ids = centers();
  const auto members = members_of(db_, store::get_individual(db_, ids[5]), run_);
  ASSERT_EQ(members.ids.size(), 10u);
  const auto center = rebuild_center(db_, ids[5], run_).genotype;
  const Perturbation perturbation(*run_.genome, run_.settings);
  for (size_t i = 0; i < members.ids.size(); ++i) {
    std::vector<float> expected(center.size());
    perturbation.perturb(center, members.members[i].seed, i % 2 == 0 ? 1.0f : -1.0f, expected);
    EXPECT_TRUE(same_bits(rebuild_individual(db_, members.ids[i], run_), expected)) << "member " << i;
  }
  // Antithetic partners share their seed; the runner stored them in member order.
  EXPECT_EQ(members.members[0].seed, members.members[1].seed);
  EXPECT_NE(members.members[0].seed, members.members[2].seed);
}

TEST_F(EsLineage, TheApiNamesCentersAndMembers) {
  const auto ids = centers();
  EXPECT_EQ(http::individual_json(db_, ids[0])["es_role"], "center");
  EXPECT_EQ(http::individual_json(db_, ids[7])["es_role"], "center");
  const auto members = members_of(db_, store::get_individual(db_, ids[7]), run_);
  const auto member = http::individual_json(db_, members.ids[3]);
  EXPECT_EQ(member["es_role"], "member");
  EXPECT_EQ(member["parent"], ids[7]);
}

TEST_F(EsLineage, DamagedStatesAndGenerationsAreNamed) {
  const auto ids = centers();
  const auto copy = *dir_ / "damaged.db";
  std::filesystem::copy_file(db_path(), copy, std::filesystem::copy_options::overwrite_existing);
  auto w = store::open_database(copy, store::OpenPurpose::kWrite);
  const auto expect_corruption = [&](int64_t id, const std::string& needle) {
    try {
      rebuild_center(w, id, run_);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  // Center 8's optimizer state gone: its snapshot is no starting point any more.
  w.exec("DELETE FROM es_states WHERE individual_id = " + std::to_string(ids[8]));
  expect_corruption(ids[9], "individual " + std::to_string(ids[8]) + " is an ES center with a snapshot but no optimizer state");
  // Center 4's state damaged in its bytes.
  w.exec("UPDATE es_states SET checksum = checksum + 1 WHERE individual_id = " + std::to_string(ids[4]));
  expect_corruption(ids[5], "optimizer state of individual " + std::to_string(ids[4]));
  // A member of center 1 removed: generation 1 no longer has the population.
  const auto gen1 = members_of(w, store::get_individual(w, ids[1]), run_);
  w.exec("DELETE FROM individuals WHERE id = " + std::to_string(gen1.ids.back()));
  expect_corruption(ids[2], "has 9 members stored, the run's population is 10");
}

}  // namespace
}  // namespace seedline::es
