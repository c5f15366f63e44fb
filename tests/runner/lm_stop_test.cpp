// Stops inside a language-model evaluation (issue 21, item 10): the audit waited 227 s for a
// stop during the forward pass of one 100,000-token line. The forward polls the thread's stop
// check (util/stop_check.hpp) between passes, between blocks and every 256 query rows of
// attention, so a stop ends it within a bound; the interrupted generation is discarded and the
// run resumes to the history of an uninterrupted one. The measured latency is printed; the
// bound is loose (5 s) because CI machines are shared.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <random>

#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "daemon_stop_testing.hpp"
#include "runner_testing.hpp"
#include "store/experiment_repo.hpp"
#include "store/run_repo.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::TempDir;
using seedline::testing::write_file;
using testing::last_generation;
using testing::stop_after_first_commit;
using testing::stop_latency;
using testing::submitted;
using testing::two_threads_once;

// `lines` lines of `tokens` random token ids below 29 (a vocabulary of 32).
void write_tokens(const std::filesystem::path& path, int lines, int tokens) {
  std::mt19937 rng(5);
  std::string text;
  for (int s = 0; s < lines; ++s) {
    for (int t = 0; t < tokens; ++t) {
      if (t) text += ' ';
      text += std::to_string(rng() % 29);
    }
    text += '\n';
  }
  write_file(path, text);
}

std::string experiment(const std::filesystem::path& data, int population, int generations) {
  const nlohmann::json spec = {
      {"name", "lm-stop"}, {"seed", 3}, {"trials", 1},
      {"task", {{"type", "language_model"}, {"data", data.string()}}},
      {"network", nlohmann::json::array({{{"type", "transformer"}, {"vocab", 32}, {"d_model", 8}, {"blocks", 1},
                                          {"heads", 2}, {"head_dim", 4}, {"ff", 16}}})},
      {"ga", {{"population", population}, {"truncation", 2}, {"elites", 1}, {"generations", generations},
              {"mutation_rate", 0.05}, {"stages", nlohmann::json::array({{{"evaluations", 1}, {"keep", 2}}})}}},
      {"conditions", nlohmann::json::array({{{"name", "direct"}, {"representation", {{"type", "direct"}}}}})}};
  return spec.dump();
}

TEST(StopLatency, ALanguageModelForwardOverOne100000TokenLineStopsWithinSeconds) {
  TempDir dir;
  write_tokens(dir / "long.tokens", 1, 100000);
  const auto path = dir / "long.db";
  auto db = submitted(path, experiment(dir / "long.tokens", 4, 2), "lm.json");
  std::atomic<bool> stop{false};
  auto daemon = std::async(std::launch::async, [&] { return run_daemon(db, two_threads_once(), stop); });
  // Inside generation 0's forward passes (one takes minutes: attention over 100,000 positions).
  const auto latency = stop_latency(daemon, stop, std::chrono::milliseconds(1500), std::chrono::seconds(120));
  ASSERT_TRUE(latency.has_value()) << "the daemon ended before the stop, or did not honour it within 120 s";
  std::printf("stop latency inside a 100,000-token language-model forward: %.3f s\n", *latency);
  EXPECT_LT(*latency, 5.0);
  const auto report = daemon.get();
  ASSERT_EQ(report.paused, std::vector<int64_t>{1});
  EXPECT_EQ(last_generation(path), -1);  // the interrupted generation 0 left nothing behind
}

TEST(StopLatency, ALanguageModelRunStoppedMidForwardResumesToTheUninterruptedHistory) {
  TempDir dir;
  // Lines longer than a pass's token budget: every forward pass is one line.
  write_tokens(dir / "data.tokens", 4, 2500);
  const std::string text = experiment(dir / "data.tokens", 4, 2);
  {
    auto reference = submitted(dir / "reference.db", text, "lm.json");
    std::atomic<bool> never{false};
    ASSERT_EQ(run_daemon(reference, two_threads_once(), never).finished, std::vector<int64_t>{1});
  }
  const auto path = dir / "stopped.db";
  auto db = submitted(path, text, "lm.json");
  std::atomic<bool> stop{false};
  auto daemon = std::async(std::launch::async, [&] { return run_daemon(db, two_threads_once(), stop); });
  stop_after_first_commit(path, daemon, stop, std::chrono::milliseconds(20));
  const auto report = daemon.get();
  ASSERT_EQ(report.paused, std::vector<int64_t>{1}) << "the run finished before the stop";
  std::atomic<bool> never{false};
  ASSERT_EQ(run_daemon(db, two_threads_once(), never).finished, std::vector<int64_t>{1});
  const auto expected = testing::read_histories(dir / "reference.db");
  const auto actual = testing::read_histories(path);
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_EQ(testing::first_difference(expected.at(1), actual.at(1)), "");
}

}  // namespace
}  // namespace seedline::runner
