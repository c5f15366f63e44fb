// Family-tree questions on a small hand-drawn tree, with another run's individuals
// interleaved between its rows (as two daemons writing at once would leave them):
//
//   run A:  r1 -> a -> d -> g        run B:  x1 -> x2
//           r1 -> b -> f
//                a -> e
//           r2 -> c
#include "lineage/tree.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lineage/lineage_testing.hpp"
#include "lineage/phylogeny.hpp"
#include "store/migrations.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::lineage {
namespace {

using namespace fixtures;

class Tree : public ::testing::Test {
 protected:
  void SetUp() override {
    store::migrate(db_);
    run_a_ = make_run(db_, 0);
    run_b_ = make_run(db_, 1);
    r1_ = add(db_, run_a_, std::nullopt, 0, 11, 1.5);
    x1_ = add(db_, run_b_, std::nullopt, 0, 90, 0.0);
    r2_ = add(db_, run_a_, std::nullopt, 0, 12, -2.25);
    a_ = add(db_, run_a_, r1_, 1, 13, 3.0);
    x2_ = add(db_, run_b_, x1_, 1, 91);
    b_ = add(db_, run_a_, r1_, 1, 14, 0.1);
    c_ = add(db_, run_a_, r2_, 1, 0xffffffffffffffffULL);
    d_ = add(db_, run_a_, a_, 2, 16, 4.0);
    e_ = add(db_, run_a_, a_, 2, 17);
    f_ = add(db_, run_a_, b_, 3, 18, 1e-300);
    g_ = add(db_, run_a_, d_, 4, 19, 5.5);
  }

  std::vector<int64_t> ids(const std::vector<store::DescendantRow>& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows) out.push_back(r.individual.id);
    return out;
  }

  store::Database db_ = store::Database::open_memory();
  int64_t run_a_ = 0, run_b_ = 0;
  int64_t r1_ = 0, r2_ = 0, a_ = 0, b_ = 0, c_ = 0, d_ = 0, e_ = 0, f_ = 0, g_ = 0, x1_ = 0, x2_ = 0;
};

TEST_F(Tree, MrcaCases) {
  struct Case {
    const char* name;
    int64_t a, b;
    std::optional<int64_t> mrca;
    int steps_a, steps_b;
  };
  const Case cases[] = {
      {"same individual", g_, g_, g_, 0, 0},
      {"ancestor and descendant", a_, g_, a_, 0, 2},
      {"descendant and ancestor", g_, r1_, r1_, 3, 0},
      {"siblings", d_, e_, a_, 1, 1},
      {"cousins at different depths", g_, f_, r1_, 3, 2},
      {"different roots", g_, c_, std::nullopt, 0, 0},
      {"two roots", r1_, r2_, std::nullopt, 0, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = find_mrca(db_, c.a, c.b);
    EXPECT_EQ(mrca(db_, c.a, c.b), c.mrca);
    EXPECT_EQ(mrca(db_, c.b, c.a), c.mrca);
    if (c.mrca) {
      ASSERT_TRUE(result.ancestor);
      EXPECT_EQ(result.steps_from_a, c.steps_a);
      EXPECT_EQ(result.steps_from_b, c.steps_b);
    }
  }
}

TEST_F(Tree, MrcaAcrossRunsIsAClearError) {
  try {
    mrca(db_, g_, x2_);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("different runs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mrca(db_, g_, 4242), Error);
}

TEST_F(Tree, AncestorsRootFirst) {
  const auto path = ancestors(db_, g_);
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0].id, r1_);
  EXPECT_FALSE(path[0].parent);
  EXPECT_EQ(path[1].id, a_);
  EXPECT_EQ(path[2].id, d_);
  EXPECT_EQ(path[3].id, g_);
  EXPECT_EQ(path[3].parent, d_);
  EXPECT_EQ(path[3].generation, 4);
  EXPECT_EQ(ancestors(db_, c_)[1].seed, 0xffffffffffffffffULL);
}

TEST_F(Tree, DescendantsByDepthStayInTheRun) {
  EXPECT_EQ(ids(descendants(db_, r1_)), (std::vector<int64_t>{a_, b_, d_, e_, f_, g_}));
  EXPECT_EQ(ids(descendants(db_, r1_, 1)), (std::vector<int64_t>{a_, b_}));
  EXPECT_EQ(ids(descendants(db_, r1_, 2)), (std::vector<int64_t>{a_, b_, d_, e_, f_}));
  EXPECT_TRUE(descendants(db_, r1_, 0).empty());
  EXPECT_TRUE(descendants(db_, g_).empty());
  EXPECT_EQ(ids(descendants(db_, x1_)), (std::vector<int64_t>{x2_}));
  const auto rows = descendants(db_, r1_);
  EXPECT_EQ(rows.back().depth, 3);
  EXPECT_EQ(rows.front().depth, 1);
  EXPECT_THROW(descendants(db_, r1_, -1), Error);
  EXPECT_THROW(descendants(db_, 4242), Error);
}

TEST_F(Tree, PhylogenyCsvHoldsExactlyTheRunInAlifeFormat) {
  seedline::testing::TempDir dir;
  const auto out = dir / "tree.csv";
  EXPECT_EQ(write_phylogeny_csv(db_, run_a_, out), 9);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  auto id = [](int64_t v) { return std::to_string(v); };
  // Fitness as the shortest decimal that reads back to the stored double.
  const std::string expected = "id,ancestor_list,origin_time,fitness\n" +
                               id(r1_) + ",[NONE],0,1.5\n" +
                               id(r2_) + ",[NONE],0,-2.25\n" +
                               id(a_) + ",[" + id(r1_) + "],1,3\n" +
                               id(b_) + ",[" + id(r1_) + "],1,0.1\n" +
                               id(c_) + ",[" + id(r2_) + "],1,\n" +
                               id(d_) + ",[" + id(a_) + "],2,4\n" +
                               id(e_) + ",[" + id(a_) + "],2,\n" +
                               id(f_) + ",[" + id(b_) + "],3,1e-300\n" +
                               id(g_) + ",[" + id(d_) + "],4,5.5\n";
  EXPECT_EQ(text.str(), expected);
  // Only the CSV is left behind: the temporary file was renamed into place.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST_F(Tree, PhylogenyOfAnUnknownRunWritesNothing) {
  seedline::testing::TempDir dir;
  const auto out = dir / "none.csv";
  try {
    write_phylogeny_csv(db_, 777, out);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_STREQ(e.what(), "run 777 does not exist");
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_THROW(write_phylogeny_csv(db_, run_a_, dir / "no-such-dir" / "x.csv"), Error);
}

}  // namespace
}  // namespace seedline::lineage
