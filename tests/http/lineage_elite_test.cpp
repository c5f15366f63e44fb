// GET /api/individuals/{id}/lineage gives each ancestor's birth fitness and, beside it, its
// elite re-evaluations (the later generations whose best it scored), exactly as `seedline
// lineage --json` does (issue 20: one meaning per number, everywhere).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/api.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

TEST(LineageApi, EliteReevaluationsBesideBirthFitnessAsInTheCli) {
  testing::TempDir dir;
  const auto db_path = (dir / "a.db").string();
  ASSERT_EQ(testing::run_seedline({"--db", db_path, "run", (testing::source_dir() / "examples" / "smoke.json").string(),
                                   "--threads", "2"})
                .exit_code,
            0);
  auto db = store::open_database(dir / "a.db", store::OpenPurpose::kRead);
  // The newest generation's best whose lineage holds an elite re-evaluated later.
  int64_t id = 0;
  for (const auto& run : store::list_runs(db)) {
    const auto lineage = http::lineage_json(db, store::last_generation(db, run.id)->best_individual);
    for (const auto& a : lineage["path"]) {
      if (!a["elite_bests"].empty()) id = lineage["individual"].get<int64_t>();
    }
    if (id) break;
  }
  ASSERT_NE(id, 0) << "no lineage with an elite re-evaluation in the smoke runs";
  const auto api = nlohmann::json::parse(http::lineage_json(db, id).dump());  // key order aside
  const auto cli = testing::run_seedline({"--db", db_path, "lineage", std::to_string(id), "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto expected = nlohmann::json::parse(cli.out);
  ASSERT_EQ(api["path"].size(), expected["path"].size());
  bool any = false;
  for (size_t i = 0; i < api["path"].size(); ++i) {
    EXPECT_EQ(api["path"][i]["id"], expected["path"][i]["id"]);
    EXPECT_EQ(api["path"][i]["fitness"], expected["path"][i]["fitness"]);
    EXPECT_EQ(api["path"][i]["elite_bests"], expected["path"][i]["elite_bests"]) << "ancestor " << i;
    any = any || !api["path"][i]["elite_bests"].empty();
  }
  EXPECT_TRUE(any);
}

}  // namespace
}  // namespace seedline
