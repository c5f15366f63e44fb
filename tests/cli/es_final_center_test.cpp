// An evolution-strategies run's result, its final center, is named by `seedline status`
// (text and --json) and GET /api/runs/{id} (issue 20, item 8: it was found only by a
// script); a GA run has none.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "http/static_files.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_seedline;

constexpr const char* kEsAndGa = R"({"name": "es-tiny", "seed": 1, "trials": 1,
  "task": {"type": "sphere", "shift": 0.5}, "network": [{"type": "dense", "in": 4, "out": 4}],
  "ga": {"population": 8, "generations": 3, "snapshot_every": 2},
  "conditions": [{"name": "es", "algorithm": {"type": "es", "sigma": 0.05, "learning_rate": 0.03}},
                 {"name": "ga", "ga": {"truncation": 2}}]})";

TEST(EsFinalCenter, StatusAndTheApiNameIt) {
  testing::TempDir dir;
  const auto db = dir / "es.db";
  testing::write_file(dir / "es.json", kEsAndGa);
  const auto ran = run_seedline({"--db", db.string(), "run", (dir / "es.json").string(), "--threads", "1"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;

  int64_t es_run = 0, center = 0;
  {
    auto rdb = store::open_database(db, store::OpenPurpose::kRead);
    for (const auto& r : store::list_runs(rdb, 1)) {
      if (r.condition == "es") es_run = r.id;
    }
    const auto last = store::last_generation(rdb, es_run);
    ASSERT_TRUE(last);
    ASSERT_EQ(last->parents.size(), 1u);
    center = last->parents.front();  // center 3, born in generation 3
  }
  const auto json = run_seedline({"--db", db.string(), "status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  for (const auto& run : nlohmann::json::parse(json.out)["runs"]) {
    if (run["id"] == es_run) {
      EXPECT_EQ(run["final_center"]["id"], center);
      EXPECT_EQ(run["final_center"]["generation"], 3);
      EXPECT_TRUE(run["final_center"]["fitness"].is_null());  // a center is not scored during the run
    } else {
      EXPECT_TRUE(run["final_center"].is_null()) << run;
    }
  }
  const auto text = run_seedline({"--db", db.string(), "status"});
  EXPECT_NE(text.out.find("run " + std::to_string(es_run) + " (evolution strategy): final center is individual " +
                          std::to_string(center) + " (generation 3), not evaluated"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("genome " + std::to_string(center) + " --out center.safetensors"), std::string::npos);

  // Re-measured, it has a fitness.
  ASSERT_EQ(run_seedline({"--db", db.string(), "evaluate", std::to_string(center), "--threads", "1"}).exit_code, 0);
  auto rdb = store::open_database(db, store::OpenPurpose::kRead);
  http::StaticFiles web{std::span<const http::EmbeddedFile>()};
  http::RouterContext ctx{rdb, "", web, nullptr};
  const http::Request req{http::beast_http::verb::get, "/api/runs/" + std::to_string(es_run), 11};
  const auto detail = nlohmann::json::parse(http::handle_request(req, ctx).body());
  EXPECT_EQ(detail["final_center"]["id"], center);
  EXPECT_TRUE(detail["final_center"]["fitness"].is_number()) << detail;
}

}  // namespace
}  // namespace seedline
