// The individuals and snapshots repositories: writes, round trips, path and scan queries,
// and the refusals for damaged rows and blobs.
#include "store/lineage_repo.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"

namespace seedline::store {
namespace {

class LineageRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    migrate(db_);
    const int64_t e = insert_experiment(db_, "repo", "{}");
    run_ = insert_run(db_, e, insert_condition(db_, e, 0, "a", "{}"), 0, 1, 1);
    other_run_ = insert_run(db_, e, insert_condition(db_, e, 1, "b", "{}"), 0, 2, 1);
  }

  int64_t add(int64_t run, std::optional<int64_t> parent, int generation, uint64_t seed = 5) {
    const NewIndividual n{parent, seed, generation, std::nullopt, std::nullopt};
    return insert_individuals(db_, run, std::span(&n, 1)).first;
  }

  Error error_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "no error";
    return Error(ErrorCode::kInternal, "none");
  }

  Database db_ = Database::open_memory();
  int64_t run_ = 0, other_run_ = 0;
};

TEST_F(LineageRepo, InsertedRowsRoundTripWithFullWidthSeeds) {
  const std::vector<NewIndividual> rows = {
      {std::nullopt, 0xffffffffffffffffULL, 0, 1.25, 0x8000000000000000ULL},
      {std::nullopt, 0, 0, std::nullopt, std::nullopt},
  };
  Transaction tx(db_);
  const auto [first, last] = insert_individuals(db_, run_, rows);
  const std::vector<NewIndividual> kids = {{first, 0x0123456789abcdefULL, 1, -0.5, std::nullopt},
                                           {first, 42, 1, std::nullopt, std::nullopt},
                                           {last, 43, 1, 7.0, std::nullopt}};
  const auto [kfirst, klast] = insert_individuals(db_, run_, kids);
  tx.commit();
  EXPECT_EQ(last, first + 1);
  EXPECT_EQ(kfirst, last + 1);
  EXPECT_EQ(klast, kfirst + 2);
  EXPECT_EQ(insert_individuals(db_, run_, {}), (std::pair<int64_t, int64_t>{0, -1}));

  const auto root = get_individual(db_, first);
  EXPECT_EQ(root.run_id, run_);
  EXPECT_FALSE(root.parent);
  EXPECT_EQ(root.seed, 0xffffffffffffffffULL);
  EXPECT_EQ(root.fitness, 1.25);
  EXPECT_EQ(root.checksum, 0x8000000000000000ULL);
  const auto kid = get_individual(db_, kfirst);
  EXPECT_EQ(kid.parent, first);
  EXPECT_EQ(kid.generation, 1);
  EXPECT_EQ(kid.seed, 0x0123456789abcdefULL);
  EXPECT_FALSE(find_individual(db_, klast + 1));
  EXPECT_EQ(std::string(error_of([&] { get_individual(db_, 123456); }).what()), "individual 123456 does not exist");
}

TEST_F(LineageRepo, AParentInAnotherTableOrRunIsRefusedByTheForeignKey) {
  EXPECT_THROW(add(run_, 999, 1), Error);
  EXPECT_THROW(add(999, std::nullopt, 0), Error);
}

TEST_F(LineageRepo, ChecksumsAreSetOnceAndNeverSilentlyReplaced) {
  const int64_t id = add(run_, std::nullopt, 0);
  set_checksum(db_, id, 77);
  set_checksum(db_, id, 77);
  EXPECT_EQ(get_individual(db_, id).checksum, 77u);
  EXPECT_EQ(error_of([&] { set_checksum(db_, id, 78); }).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(error_of([&] { set_checksum(db_, id + 100, 1); }).code(), ErrorCode::kNotFound);
}

TEST_F(LineageRepo, AncestorPathsAreRootFirstAndCanStopAtASnapshot) {
  std::vector<int64_t> chain{add(run_, std::nullopt, 0)};
  for (int g = 1; g <= 6; ++g) chain.push_back(add(run_, chain.back(), g, 100 + g));
  put_snapshot(db_, run_, chain[2], std::vector<float>{1, 2}, 9);
  put_snapshot(db_, run_, chain[4], std::vector<float>{3, 4}, 10);

  const auto full = ancestor_path(db_, chain[6]);
  ASSERT_EQ(full.size(), 7u);
  for (size_t k = 0; k < full.size(); ++k) {
    EXPECT_EQ(full[k].individual.id, chain[k]);
    EXPECT_EQ(full[k].has_snapshot, k == 2 || k == 4) << k;
  }
  const auto short_path = ancestor_path_to_snapshot(db_, chain[6]);
  ASSERT_EQ(short_path.size(), 3u);
  EXPECT_EQ(short_path[0].individual.id, chain[4]);
  EXPECT_TRUE(short_path[0].has_snapshot);
  EXPECT_EQ(ancestor_path_to_snapshot(db_, chain[4]).size(), 1u);
  EXPECT_EQ(ancestor_path_to_snapshot(db_, chain[1]).size(), 2u);
  EXPECT_EQ(error_of([&] { ancestor_path(db_, 9999); }).code(), ErrorCode::kNotFound);
}

TEST_F(LineageRepo, BrokenChainsAreReportedAsCorruptionNamingTheRow) {
  const int64_t stranger = add(other_run_, std::nullopt, 0);
  const int64_t root = add(run_, std::nullopt, 0);
  const int64_t kid = add(run_, root, 1);
  auto id = [](int64_t v) { return std::to_string(v); };
  db_.exec("PRAGMA foreign_keys=OFF");
  struct Case {
    const char* name;
    std::string sql;
    std::string message;
  };
  const Case cases[] = {
      {"dangling parent", "DELETE FROM individuals WHERE id = " + id(root),
       "individual " + id(kid) + " has parent " + id(root) + ", which does not exist"},
      {"cycle", "UPDATE individuals SET parent_id = " + id(kid) + " WHERE id = " + id(root),
       "individual " + id(root) + " has parent " + id(kid) + ", which is not an earlier individual"},
      {"parent in another run", "UPDATE individuals SET parent_id = " + id(stranger) + " WHERE id = " + id(kid),
       "individual " + id(kid) + " (run " + id(run_) + ") has parent " + id(stranger) + " in run " +
           id(other_run_)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    db_.exec("SAVEPOINT damage");
    db_.exec(c.sql);
    const auto e = error_of([&] { ancestor_path(db_, kid); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
    EXPECT_EQ(std::string(e.what()), c.message);
    db_.exec("ROLLBACK TO damage");
    db_.exec("RELEASE damage");
  }
  EXPECT_EQ(ancestor_path(db_, kid).size(), 2u);
}

TEST_F(LineageRepo, RunScansSkipOtherRunsWithOrWithoutGenerationSummaries) {
  const int64_t stray = add(other_run_, std::nullopt, 0);
  const int64_t r = add(run_, std::nullopt, 0);
  const int64_t x = add(other_run_, stray, 1);
  const int64_t c = add(run_, r, 1);
  const int64_t late = add(run_, c, 2);  // newborns written before their generation's summary
  auto ids_of = [this](int64_t run) {
    std::vector<int64_t> out;
    for (const auto& row : individuals_of_run(db_, run)) out.push_back(row.id);
    return out;
  };
  EXPECT_EQ(ids_of(run_), (std::vector<int64_t>{r, c, late}));
  EXPECT_EQ(ids_of(other_run_), (std::vector<int64_t>{stray, x}));

  GenerationRow g;
  g.run_id = run_;
  g.generation = 0;
  g.first_individual = g.last_individual = g.best_individual = r;
  g.parents = {r};
  insert_generation(db_, g);
  EXPECT_EQ(ids_of(run_), (std::vector<int64_t>{r, c, late}));
  EXPECT_EQ(error_of([&] { individuals_of_run(db_, 999); }).code(), ErrorCode::kNotFound);
  EXPECT_EQ(children(db_, r).size(), 1u);
  EXPECT_EQ(children(db_, r)[0].id, c);
}

TEST(SnapshotRepo, GenotypesRoundTripBitExactly) {
  Database db = Database::open_memory();
  migrate(db);
  const int64_t e = insert_experiment(db, "snap", "{}");
  const int64_t run = insert_run(db, e, insert_condition(db, e, 0, "a", "{}"), 0, 1, 1);
  const NewIndividual n{std::nullopt, 1, 0, std::nullopt, std::nullopt};
  const int64_t id = insert_individuals(db, run, std::span(&n, 1)).first;

  std::vector<float> g = {0.0f, -0.0f, 1.5f, std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::infinity(), std::nanf("0x12345"), -3.25e-20f};
  for (int i = 0; i < 5000; ++i) g.push_back(static_cast<float>(i % 17) * 0.125f);
  put_snapshot(db, run, id, g, 0xabcdef);
  EXPECT_TRUE(has_snapshot(db, id));
  EXPECT_FALSE(has_snapshot(db, id + 1));
  EXPECT_FALSE(find_snapshot(db, id + 1));
  const auto back = find_snapshot(db, id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->run_id, run);
  EXPECT_EQ(back->checksum, 0xabcdefu);
  ASSERT_EQ(back->genotype.size(), g.size());
  EXPECT_EQ(std::memcmp(back->genotype.data(), g.data(), g.size() * 4), 0);
  // The repetitive tail compresses: the stored blob is far smaller than the raw floats.
  auto st = db.prepare("SELECT raw_bytes, length(data) FROM snapshots WHERE individual_id = ?1");
  st.bind(1, id);
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int64(0), static_cast<int64_t>(g.size() * 4));
  EXPECT_LT(st.column_int64(1), st.column_int64(0) / 4);
  // Byte order is little-endian whatever the host: 1.5f is 0x3fc00000.
  const auto bytes = genotype_to_bytes(std::vector<float>{1.5f});
  EXPECT_EQ(bytes, (std::vector<std::byte>{std::byte{0}, std::byte{0}, std::byte{0xc0}, std::byte{0x3f}}));
  EXPECT_THROW(genotype_from_bytes(std::vector<std::byte>(5)), Error);

  put_snapshot(db, run, id, g, 0xabcdef);  // same again: fine
  EXPECT_THROW(put_snapshot(db, run, id, g, 0xabcdee), Error);

  db.exec("UPDATE snapshots SET codec = 'lz4'");
  try {
    find_snapshot(db, id);
    ADD_FAILURE();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kUnimplemented);
    EXPECT_NE(std::string(err.what()).find("individual " + std::to_string(id)), std::string::npos);
  }
  db.exec("UPDATE snapshots SET codec = 'zstd', raw_bytes = raw_bytes + 2");
  try {
    find_snapshot(db, id);
    ADD_FAILURE();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(err.what()).find("snapshot of individual " + std::to_string(id)), std::string::npos);
  }
}

}  // namespace
}  // namespace seedline::store
