// A language model end to end: submit, evolve with the daemon, export the best individual's
// phenotype, rebuild it in PyTorch with examples/load_lm.py from the file alone, and get back
// minus its stored fitness (1e-5 relative: float32 forward passes in two implementations).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "runner_testing.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using nlohmann::json;
using seedline::testing::run_process;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

TEST(LanguageModelExport, LoadLmRebuildsTheBestIndividualAndItsLoss) {
  if (run_process({"/usr/bin/python3", "-c", "import torch"}).exit_code != 0) {
    FAIL() << "/usr/bin/python3 with torch is needed (Debian python3-torch)";
  }
  TempDir dir;
  std::mt19937 rng(4);
  std::string text;
  for (int s = 0; s < 40; ++s) {
    const int len = 1 + static_cast<int>(rng() % 25);
    for (int t = 0; t < len; ++t) {
      text += t ? " " : "";
      text += std::to_string(rng() % 37);
    }
    text += "\n";
  }
  write_file(dir / "data.tokens", text);
  const json spec = {
      {"name", "lm-export"}, {"seed", 2},
      {"task", {{"type", "language_model"}, {"data", (dir / "data.tokens").string()}, {"sequences", 30}}},
      {"network", json::array({{{"type", "transformer"}, {"vocab", 40}, {"d_model", 8}, {"blocks", 2}, {"heads", 2},
                                {"head_dim", 4}, {"ff", 16}, {"context", 20}}})},
      {"representation", {{"type", "factorized"}, {"rank", 2}, {"embedding_rank", 3}}},
      {"ga", {{"population", 8}, {"truncation", 2}, {"generations", 3}, {"mutation_rate", 0.1}}}};
  write_file(dir / "lm.json", spec.dump());
  const auto db = dir / "lm.db";
  ASSERT_EQ(run_seedline({"--db", db.string(), "submit", (dir / "lm.json").string()}).exit_code, 0);
  const auto d = run_seedline({"--db", db.string(), "daemon", "--once"});
  ASSERT_EQ(d.exit_code, 0) << d.err;

  int64_t best = 0;
  double fitness = 0;
  {
    auto conn = store::open_database(db, store::OpenPurpose::kRead);
    const auto runs = store::list_runs(conn);
    ASSERT_EQ(runs.size(), 1u);
    const auto last = store::last_generation(conn, runs[0].id);
    ASSERT_TRUE(last.has_value());
    best = last->best_individual;
    fitness = last->best;
  }
  const auto out = dir / "best.safetensors";
  const auto e = run_seedline({"--db", db.string(), "genome", std::to_string(best), "--phenotype", "--out", out.string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto r = run_process({"/usr/bin/python3", (seedline::testing::source_dir() / "examples/load_lm.py").string(),
                              out.string(), (dir / "data.tokens").string(), "--sequences", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json loss = json::parse(r.out);
  EXPECT_NEAR(loss["loss"].get<double>(), -fitness, 1e-5 * std::abs(fitness));
  EXPECT_GT(loss["predicted_positions"].get<int64_t>(), 30);
}

}  // namespace
}  // namespace seedline::runner
