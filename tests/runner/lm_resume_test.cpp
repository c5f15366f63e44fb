// A language-model run SIGKILLed mid-generation (between evaluation stages and inside a commit)
// resumes to exactly the lineage and fitness history of an uninterrupted run on 1 thread.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

constexpr double kStale = 0.3;
const std::string kStaleArg = "0.3";

TEST(LanguageModelResume, KilledRunsResumeToTheSameLineageAndFitnessHistory) {
  TempDir dir;
  std::mt19937 rng(9);
  std::string text;
  for (int s = 0; s < 24; ++s) {
    const int len = 2 + static_cast<int>(rng() % 30);
    for (int t = 0; t < len; ++t) {
      text += t ? " " : "";
      text += std::to_string(rng() % 29);
    }
    text += "\n";
  }
  write_file(dir / "data.tokens", text);
  const nlohmann::json spec = {
      {"name", "lm-resume"}, {"seed", 17}, {"trials", 1},
      {"task", {{"type", "language_model"}, {"data", (dir / "data.tokens").string()}, {"sequences", 20}}},
      {"network", nlohmann::json::array({{{"type", "transformer"}, {"vocab", 32}, {"d_model", 8}, {"blocks", 2},
                                          {"heads", 2}, {"head_dim", 4}, {"ff", 16}}})},
      {"ga", {{"population", 10}, {"truncation", 3}, {"elites", 1}, {"generations", 5}, {"mutation_rate", 0.05},
              {"snapshot_every", 2},
              {"stages", nlohmann::json::array({{{"evaluations", 1}, {"keep", 5}}, {{"evaluations", 1}, {"keep", 3}}})}}},
      {"conditions", nlohmann::json::array(
                         {{{"name", "factorized"},
                           {"representation", {{"type", "factorized"}, {"rank", 2}, {"embedding_rank", 4}}}},
                          {{"name", "direct"}, {"representation", {{"type", "direct"}}}}})}};
  write_file(dir / "lm.json", spec.dump());
  const auto reference = dir / "reference.db", crashed = dir / "crashed.db";
  for (const auto& db : {reference, crashed}) {
    const auto r = run_seedline({"--db", db.string(), "submit", (dir / "lm.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto ref = run_seedline({"--db", reference.string(), "daemon", "--once", "--threads", "1"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;

  for (const std::string point : {"evaluate:1", "commit:3", "evaluate:4"}) {
    const auto r = run_seedline(
        {"--db", crashed.string(), "daemon", "--once", "--threads", "2", "--stale-after", kStaleArg}, "", {},
        {"SEEDLINE_CRASH_AT=" + point});
    EXPECT_EQ(r.signal, SIGKILL) << point << " did not fire; stderr: " << r.err;
    testing::sleep_seconds(kStale + 0.2);
  }
  for (int round = 0; round < 3; ++round) {
    const auto r = run_seedline({"--db", crashed.string(), "daemon", "--once", "--stale-after", kStaleArg});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto db = store::open_database(crashed, store::OpenPurpose::kRead);
    if (store::unfinished_runs(db, std::nullopt) == 0) break;
    testing::sleep_seconds(kStale + 0.2);
  }
  const auto expected = testing::read_histories(reference), actual = testing::read_histories(crashed);
  ASSERT_EQ(expected.size(), 2u);
  ASSERT_EQ(actual.size(), 2u);
  for (const auto& [run, h] : expected) {
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(h.generations.size(), 5u);
    EXPECT_EQ(testing::first_difference(h, actual.at(run)), "") << "run " << run;
    // A loss, not a placeholder: mean cross-entropy of an untrained net is near ln(32) nats.
    EXPECT_LT(h.generations[0].best, -1.0);
    EXPECT_GT(h.generations[0].best, -20.0);
  }
}

}  // namespace
}  // namespace seedline::runner
