// `seedline lineage | descendants | mrca | phylogeny` against a database file built with the
// writer API, as a user runs them: JSON shapes, readable text, exit codes for bad ids.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <tuple>

#include "lineage/lineage_testing.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::lineage {
namespace {

using seedline::testing::read_file;
using seedline::testing::run_seedline;

class LineageCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::open_database(path_, store::OpenPurpose::kCreate);
    run_ = fixtures::make_run(db, 0);
    const int64_t other_run = fixtures::make_run(db, 1);
    root_ = fixtures::add(db, run_, std::nullopt, 0, 0xfffffffffffffffeULL, 0.75);
    other_ = fixtures::add(db, other_run, std::nullopt, 0, 3);
    a_ = fixtures::add(db, run_, root_, 1, 7, 1.5);
    b_ = fixtures::add(db, run_, root_, 1, 8);
    leaf_ = fixtures::add(db, run_, a_, 2, 9, -2.0);
  }

  seedline::testing::ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", path_.string()});
    return run_seedline(args);
  }

  seedline::testing::TempDir dir_;
  std::filesystem::path path_ = dir_ / "lineage.db";
  int64_t run_ = 0, root_ = 0, other_ = 0, a_ = 0, b_ = 0, leaf_ = 0;
};

TEST_F(LineageCommand, LineageJsonListsThePathRootFirst) {
  const auto r = run({"lineage", std::to_string(leaf_), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["individual"], leaf_);
  ASSERT_EQ(j["path"].size(), 3u);
  const auto& root = j["path"][0];
  EXPECT_EQ(root["id"], root_);
  EXPECT_EQ(root["generation"], 0);
  EXPECT_TRUE(root["parent"].is_null());
  EXPECT_EQ(root["fitness"], 0.75);
  // The seed is an unsigned decimal, not its int64 storage.
  EXPECT_NE(r.out.find("18446744073709551614"), std::string::npos) << r.out;
  EXPECT_EQ(root["seed"].template get<uint64_t>(), 0xfffffffffffffffeULL);
  EXPECT_EQ(j["path"][1]["id"], a_);
  EXPECT_EQ(j["path"][2]["id"], leaf_);
  EXPECT_EQ(j["path"][2]["parent"], a_);
  EXPECT_EQ(j["path"][2]["fitness"], -2.0);
  for (const auto& entry : j["path"]) {
    EXPECT_EQ(entry.size(), 6u) << entry;
    EXPECT_EQ(entry["elite_bests"], nlohmann::json::array()) << entry;  // no generation rows here
  }
}

TEST_F(LineageCommand, LineageTextIsReadable) {
  const auto r = run({"lineage", std::to_string(leaf_)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lineage of individual " + std::to_string(leaf_)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("born in generation 2): root " + std::to_string(root_) + " (generation 0), 2 generations back\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("18446744073709551614"), std::string::npos) << r.out;
}

TEST_F(LineageCommand, UnknownIdsExitOneWithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"lineage", "424242"}, {"descendants", "424242"}, {"mrca", std::to_string(root_), "424242"}}) {
    SCOPED_TRACE(args[0]);
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "seedline: error: individual 424242 does not exist\n");
  }
  EXPECT_EQ(run({"lineage", "abc"}).exit_code, 2);
  EXPECT_EQ(run({"lineage"}).exit_code, 2);
  EXPECT_EQ(run({"descendants", "1", "--depth", "-3"}).exit_code, 2);
}

TEST_F(LineageCommand, DescendantsWithDepth) {
  auto r = run({"descendants", std::to_string(root_), "--depth", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["individual"], root_);
  EXPECT_EQ(j["max_depth"], 1);
  ASSERT_EQ(j["descendants"].size(), 2u);
  EXPECT_EQ(j["descendants"][0]["id"], a_);
  EXPECT_EQ(j["descendants"][1]["id"], b_);
  EXPECT_EQ(j["descendants"][1]["depth"], 1);

  r = run({"descendants", std::to_string(root_), "--json"});
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["max_depth"].is_null());
  ASSERT_EQ(j["descendants"].size(), 3u);
  EXPECT_EQ(j["descendants"][2]["id"], leaf_);
  EXPECT_EQ(j["descendants"][2]["depth"], 2);

  r = run({"descendants", std::to_string(root_)});
  EXPECT_NE(r.out.find("3 descendants of individual " + std::to_string(root_)), std::string::npos) << r.out;
}

TEST_F(LineageCommand, MrcaJsonTextAndCrossRunError) {
  auto r = run({"mrca", std::to_string(leaf_), std::to_string(b_), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mrca"], root_);
  EXPECT_EQ(j["steps_from_a"], 2);
  EXPECT_EQ(j["steps_from_b"], 1);
  r = run({"mrca", std::to_string(leaf_), std::to_string(a_)});
  EXPECT_NE(r.out.find("individual " + std::to_string(a_)), std::string::npos) << r.out;
}

// Issue 20, item 10: "no common ancestor" is an answer with one exit code (0), whether the two
// are of different runs or of one run's different roots; --json says which.
TEST_F(LineageCommand, NoCommonAncestorExitsZeroEitherWay) {
  auto db = store::open_database(path_, store::OpenPurpose::kWrite);
  const int64_t second_root = fixtures::add(db, run_, std::nullopt, 0, 12);
  for (const auto& [other, reason] : {std::pair{other_, "different runs"}, std::pair{second_root, "different roots"}}) {
    SCOPED_TRACE(reason);
    auto r = run({"mrca", std::to_string(leaf_), std::to_string(other)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("have no common ancestor (" + std::string(reason)), std::string::npos) << r.out;
    r = run({"mrca", std::to_string(leaf_), std::to_string(other), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j["mrca"].is_null());
    EXPECT_EQ(j["reason"], reason);
  }
}

// Issue 20, items 4 and 11: an individual born in generation 2 from a root of generation 0
// (an elite in between) is 2 generations from it in 1 parent step; an elite's later bests
// (re-evaluations) are shown beside its birth fitness.
TEST_F(LineageCommand, GenerationsAndParentStepsAndEliteReevaluationsAreTold) {
  auto db = store::open_database(path_, store::OpenPurpose::kWrite);
  const int64_t late = fixtures::add(db, run_, root_, 2, 13, 0.5);
  store::GenerationRow g;
  g.run_id = run_;
  g.first_individual = g.last_individual = root_;
  for (const auto& [generation, best, fitness] :
       {std::tuple{0, root_, 0.75}, std::tuple{1, root_, 0.9}, std::tuple{2, late, 0.5}}) {
    g.generation = generation;
    g.best_individual = best;
    g.best = fitness;
    store::insert_generation(db, g);
  }
  auto r = run({"lineage", std::to_string(late)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 generations back in 1 parent step (an elite is carried unchanged"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("best of a later generation (as an elite, re-evaluated)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.75  0.9 (gen 1)"), std::string::npos) << r.out;
  r = run({"lineage", std::to_string(late), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["path"][0]["fitness"], 0.75);  // birth fitness, unchanged
  EXPECT_EQ(j["path"][0]["elite_bests"], (nlohmann::json{{{"generation", 1}, {"fitness", 0.9}}}));
  EXPECT_EQ(j["path"][1]["elite_bests"], nlohmann::json::array());  // its own generation's best is its birth
}

TEST_F(LineageCommand, PhylogenyWritesTheCsv) {
  const auto out = dir_ / "phylo.csv";
  auto r = run({"phylogeny", "--run", std::to_string(run_), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 4 individuals"), std::string::npos) << r.out;
  const std::string csv = read_file(out);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "id,ancestor_list,origin_time,fitness");
  EXPECT_NE(csv.find(std::to_string(leaf_) + ",[" + std::to_string(a_) + "],2,-2\n"), std::string::npos) << csv;
  r = run({"phylogeny", "--run", "99", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "seedline: error: run 99 does not exist\n");
  EXPECT_EQ(run({"phylogeny", "--run", std::to_string(run_)}).exit_code, 2);
}

// QA: the CSV's temporary file was renamed over whatever --out named, so a FIFO (or, as root,
// a device such as /dev/full) was replaced by a regular file.
TEST_F(LineageCommand, PhylogenyRefusesAnOutputThatIsNotARegularFile) {
  const auto fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& out : {fifo, dir_.path()}) {
    SCOPED_TRACE(out.string());
    const auto r = run({"phylogeny", "--run", std::to_string(run_), "--out", out.string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(out.string() + ": is a"), std::string::npos) << r.err;
  }
  EXPECT_EQ(std::filesystem::status(fifo).type(), std::filesystem::file_type::fifo);
}

}  // namespace
}  // namespace seedline::lineage
