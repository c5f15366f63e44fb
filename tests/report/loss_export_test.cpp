// Language-model losses in the exported tables (docs/export.md): a language-model run's
// fitness is minus its loss, and `export` (generations and individuals, CSV and JSON) and the
// phylogeny CSV give the positive loss in columns named for it beside the fitness; the
// tables of other tasks keep their columns.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "http/api.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using nlohmann::json;
using testing::read_file;
using testing::run_seedline;
using testing::TempDir;
using testing::write_file;

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

class LossExport : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string text;
    for (int s = 0; s < 30; ++s) text += std::to_string(s % 7) + " " + std::to_string((s * 3) % 11) + " 5 9\n";
    write_file(dir_ / "data.tokens", text);
    const json spec = {
        {"name", "lm"}, {"seed", 2},
        {"task", {{"type", "language_model"}, {"data", (dir_ / "data.tokens").string()}, {"sequences", 20}}},
        {"network", json::array({{{"type", "transformer"}, {"vocab", 16}, {"d_model", 8}, {"blocks", 1},
                                  {"heads", 2}, {"head_dim", 4}, {"ff", 16}, {"context", 8}}})},
        {"representation", {{"type", "direct"}}},
        {"ga", {{"population", 6}, {"truncation", 2}, {"generations", 3}, {"mutation_rate", 0.1}}}};
    write_file(dir_ / "lm.json", spec.dump());
    const auto r = seedline({"run", (dir_ / "lm.json").string(), "--threads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  testing::ProcessResult seedline(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", (dir_ / "a.db").string()});
    return run_seedline(args);
  }
  TempDir dir_;
};

TEST_F(LossExport, GenerationsTableHasPositiveLossColumns) {
  const auto r = seedline({"export", "--experiment", "lm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = csv_rows(r.out);
  ASSERT_EQ(rows.size(), 4u);  // header + 3 generations
  const auto& header = rows[0];
  EXPECT_EQ(header.back(), "median_loss");
  for (size_t i = 1; i < rows.size(); ++i) {
    for (const std::string m : {"best", "mean", "median"}) {
      const double fitness = std::stod(rows[i].at(column(header, m)));
      const double loss = std::stod(rows[i].at(column(header, m + "_loss")));
      EXPECT_LT(fitness, 0) << m;  // a cross-entropy is positive
      EXPECT_EQ(loss, -fitness) << m << " row " << i;
    }
  }
  const auto j = seedline({"export", "--experiment", "lm", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto rows_json = json::parse(j.out);
  ASSERT_EQ(rows_json.size(), 3u);
  EXPECT_EQ(rows_json[0]["best_loss"].get<double>(), -rows_json[0]["best"].get<double>());
}

TEST_F(LossExport, IndividualsAndPhylogenyHaveALossColumn) {
  const auto r = seedline({"export", "--individuals", "--run", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = csv_rows(r.out);
  ASSERT_GT(rows.size(), 6u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "run", "generation", "parent", "seed", "fitness", "loss"}));
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 7u) << i;
    if (rows[i][5].empty()) continue;
    EXPECT_EQ(std::stod(rows[i][6]), -std::stod(rows[i][5])) << i;
    EXPECT_GT(std::stod(rows[i][6]), 0) << i;
  }
  const auto out = dir_ / "tree.csv";
  ASSERT_EQ(seedline({"phylogeny", "--run", "1", "--out", out.string()}).exit_code, 0);
  const auto tree = csv_rows(read_file(out));
  EXPECT_EQ(tree[0], (std::vector<std::string>{"id", "ancestor_list", "origin_time", "fitness", "loss"}));
  EXPECT_EQ(std::stod(tree[1][4]), -std::stod(tree[1][3]));
}

TEST_F(LossExport, TheApiLabelsTheRunAndNamesTheExperimentOfAnIndividual) {
  auto db = store::open_database(dir_ / "a.db", store::OpenPurpose::kRead);
  EXPECT_EQ(http::run_detail_json(db, 1)["fitness_label"], "loss");
  EXPECT_EQ(http::individual_json(db, 1)["experiment_name"], "lm");
}

TEST(LossExportOther, ATaskWithoutALossKeepsItsColumns) {
  TempDir dir;
  const auto db = (dir / "a.db").string();
  ASSERT_EQ(run_seedline({"--db", db, "run", (testing::source_dir() / "examples" / "smoke.json").string(),
                          "--threads", "2"})
                .exit_code,
            0);
  const auto r = run_seedline({"--db", db, "export", "--experiment", "smoke"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "run,condition,trial,generation,best,mean,median,std,evaluations,steps,seconds");
  const auto i = run_seedline({"--db", db, "export", "--individuals", "--run", "1"});
  EXPECT_EQ(i.out.substr(0, i.out.find('\n')), "id,run,generation,parent,seed,fitness");
  auto conn = store::open_database(dir / "a.db", store::OpenPurpose::kRead);
  EXPECT_EQ(http::run_detail_json(conn, 1)["fitness_label"], "fitness");
}

}  // namespace
}  // namespace seedline
