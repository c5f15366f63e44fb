// `seedline export` and `seedline show` on a real (small) experiment: the tables are read
// back with Python's csv module, json module and numpy (as a user's notebook would) and
// checked against the database; `show` prints the resolved settings and what differs.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "kernels/version.hpp"
#include "noise/noise.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_process;
using testing::run_seedline;

// The Debian interpreter, which has numpy (python3-numpy; a python3 earlier in PATH may not).
constexpr const char* kPython = "/usr/bin/python3";

// Reads the generations table in CSV (csv.DictReader) and JSON (json.load), checks they hold
// the same rows, and prints per-run generation lists and column sums computed with numpy.
constexpr const char* kReadGenerations = R"PY(
import csv, json, sys
import numpy as np
path_csv, path_json = sys.argv[1], sys.argv[2]
with open(path_csv, newline="") as f:
    reader = csv.DictReader(f)
    columns = reader.fieldnames
    rows = list(reader)
with open(path_json) as f:
    records = json.load(f)
assert len(records) == len(rows), (len(records), len(rows))
for r, j in zip(rows, records):
    assert list(j.keys()) == columns, (list(j.keys()), columns)
    for c in columns:
        if c == "condition":
            assert j[c] == r[c]
        else:
            assert float(r[c]) == float(j[c]), (c, r[c], j[c])
best = np.array([float(r["best"]) for r in rows])
mean = np.array([float(r["mean"]) for r in rows])
evaluations = np.array([int(r["evaluations"]) for r in rows])
runs = {}
for r in rows:
    runs.setdefault(r["run"], []).append(int(r["generation"]))
print(json.dumps({"columns": columns, "rows": len(rows), "runs": runs,
                  "conditions": sorted(set(r["condition"] for r in rows)),
                  "best_sum": float(np.sum(best)), "mean_max": float(np.max(mean)),
                  "evaluations": int(np.sum(evaluations))}))
)PY";

constexpr const char* kReadIndividuals = R"PY(
import csv, io, json, sys
import numpy as np
rows = list(csv.DictReader(io.StringIO(sys.stdin.read())))
ids = np.array([int(r["id"]) for r in rows])
roots = [r for r in rows if r["parent"] == ""]
fitness = np.array([float(r["fitness"]) if r["fitness"] else np.nan for r in rows])
assert all(int(r["parent"]) < int(r["id"]) for r in rows if r["parent"])
print(json.dumps({"rows": len(rows), "roots": len(roots), "first": int(ids.min()), "last": int(ids.max()),
                  "seed0": rows[0]["seed"], "measured": int(np.sum(~np.isnan(fitness))),
                  "fitness_sum": float(np.nansum(fitness))}))
)PY";

class ExportCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    db_ = (*dir_ / "e.db").string();
    const auto r = run_seedline(
        {"--db", db_, "run", (testing::source_dir() / "examples" / "smoke.json").string(), "--threads", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static testing::TempDir* dir_;
  static std::string db_;
};
testing::TempDir* ExportCommand::dir_ = nullptr;
std::string ExportCommand::db_;

TEST_F(ExportCommand, TheGenerationsTableReadsBackInPythonAsInTheDatabase) {
  const auto csv = (*dir_ / "gens.csv").string();
  const auto json = (*dir_ / "gens.json").string();
  ASSERT_EQ(run_seedline({"--db", db_, "export", "--experiment", "smoke", "--out", csv}).exit_code, 0);
  const auto j = run_seedline({"--db", db_, "export", "--experiment", "smoke", "--format", "json", "--out", json});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.err.find("wrote 48 generation rows of experiment 1 'smoke'"), std::string::npos) << j.err;
  const auto py = run_process({kPython, "-c", kReadGenerations, csv, json});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const auto got = nlohmann::json::parse(py.out);
  EXPECT_EQ(got["columns"], (nlohmann::json{"run", "condition", "trial", "generation", "best", "mean", "median", "std",
                                            "evaluations", "steps", "seconds"}));
  EXPECT_EQ(got["conditions"], (nlohmann::json{"direct", "factorized"}));

  auto db = store::open_database(db_, store::OpenPurpose::kRead);
  double best_sum = 0;
  double mean_max = -INFINITY;
  int64_t evaluations = 0;
  size_t rows = 0;
  for (const auto& run : store::list_runs(db, 1)) {
    std::vector<int> gens;
    for (const auto& g : store::list_generations(db, run.id)) {
      gens.push_back(g.generation);
      best_sum += g.best;
      mean_max = std::max(mean_max, g.mean);
      evaluations += g.evaluations;
      ++rows;
    }
    EXPECT_EQ(got["runs"][std::to_string(run.id)], nlohmann::json(gens)) << "run " << run.id;
  }
  EXPECT_EQ(got["rows"], rows);
  EXPECT_EQ(rows, 48u);  // 2 conditions x 2 trials x 12 generations
  // Shortest round-trip decimals: numpy's sum of the parsed column equals the sum of the
  // stored doubles up to summation order (1e-12 relative).
  EXPECT_NEAR(got["best_sum"].get<double>(), best_sum, 1e-12 * std::abs(best_sum));
  EXPECT_EQ(got["mean_max"].get<double>(), mean_max);
  EXPECT_EQ(got["evaluations"], evaluations);
}

TEST_F(ExportCommand, TheIndividualsTableOfARun) {
  const auto r = run_seedline({"--db", db_, "export", "--individuals", "--run", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto py = run_process({kPython, "-c", kReadIndividuals}, r.out);
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const auto got = nlohmann::json::parse(py.out);
  auto db = store::open_database(db_, store::OpenPurpose::kRead);
  const auto individuals = store::individuals_of_run(db, 2);
  size_t roots = 0;
  size_t measured = 0;
  double fitness_sum = 0;
  for (const auto& i : individuals) {
    roots += i.parent ? 0 : 1;
    if (i.fitness) {
      ++measured;
      fitness_sum += *i.fitness;
    }
  }
  EXPECT_EQ(got["rows"], individuals.size());
  EXPECT_EQ(got["roots"], roots);
  EXPECT_EQ(roots, 24u);  // generation 0: the population of smoke.json
  EXPECT_EQ(got["first"], individuals.front().id);
  EXPECT_EQ(got["last"], individuals.back().id);
  EXPECT_EQ(got["seed0"], std::to_string(individuals.front().seed));  // full uint64, as decimal
  EXPECT_EQ(got["measured"], measured);
  EXPECT_NEAR(got["fitness_sum"].get<double>(), fitness_sum, 1e-12 * std::abs(fitness_sum));
  // JSON: seeds as strings, a root's parent null.
  const auto j = run_seedline({"--db", db_, "export", "--individuals", "--run", "2", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto rows = nlohmann::json::parse(j.out);
  ASSERT_EQ(rows.size(), individuals.size());
  EXPECT_TRUE(rows[0]["parent"].is_null());
  EXPECT_EQ(rows[0]["seed"], std::to_string(individuals.front().seed));
}

TEST_F(ExportCommand, ErrorsAndUsage) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    const char* message;
  };
  const Case cases[] = {
      {{"export"}, 2, "export needs --experiment"},
      {{"export", "--individuals"}, 2, "--individuals requires --run"},
      {{"export", "--run", "2"}, 2, "--run requires --individuals"},
      {{"export", "--experiment", "smoke", "--format", "xlsx"}, 2, "--format"},
      {{"export", "--experiment", "nosuch"}, 1, "no experiment named 'nosuch'"},
      {{"export", "--individuals", "--run", "999"}, 1, "run 999"},
      {{"show", "nosuch"}, 1, "no experiment named 'nosuch'"},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.insert(args.begin(), {"--db", db_});
    const auto r = run_seedline(args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.message << ": " << r.err;
  }
}

TEST_F(ExportCommand, ShowPrintsTheResolvedSettingsAndWhatDiffers) {
  const auto j = run_seedline({"--db", db_, "show", "smoke", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["conditions"].size(), 2u);
  const auto& config = doc["conditions"][0]["config"];
  // Resolved: the file's ga and the defaults it did not set.
  EXPECT_EQ(config["ga"]["population"], 24);
  EXPECT_TRUE(config["ga"].contains("elites"));
  EXPECT_EQ(config["representation"]["type"], "factorized");
  bool type_differs = false;
  for (const auto& d : doc["settings_differ"]) {
    if (d["setting"] == "representation.type") {
      type_differs = true;
      EXPECT_EQ(d["values"], (nlohmann::json{"factorized", "direct"}));
    }
    EXPECT_NE(d["setting"], "ga.population") << "the same in both conditions";
  }
  EXPECT_TRUE(type_differs) << doc["settings_differ"];

  const auto text = run_seedline({"--db", db_, "show", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  // New runs compute with the newest versions (docs/kernels.md).
  EXPECT_EQ(doc["kernel_versions"], nlohmann::json::array({kernels::kNewestVersion}));
  EXPECT_EQ(doc["noise_versions"], nlohmann::json::array({noise::kNewestVersion}));
  for (const char* part : {"experiment 1 'smoke'", "2 conditions x 2 trials", "settings that differ between conditions:",
                           "runs compute with noise version 1, kernel version 3",
                           "representation.type", "\"factorized\"", "condition 'direct' (resolved):"}) {
    EXPECT_NE(text.out.find(part), std::string::npos) << part << "\n" << text.out;
  }
}

}  // namespace
}  // namespace seedline
