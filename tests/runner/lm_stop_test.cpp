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
#include "runner_testing.hpp"
#include "store/experiment_repo.hpp"
#include "store/run_repo.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using Clock = std::chrono::steady_clock;
using seedline::testing::TempDir;
using seedline::testing::write_file;

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

store::Database submitted(const std::filesystem::path& path, const std::string& text) {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(text, "lm.json"), "lm.json");
  return db;
}

int last_generation(const std::filesystem::path& path) {
  auto db = store::open_database(path, store::OpenPurpose::kRead);
  const auto last = store::last_generation(db, 1);
  return last ? last->generation : -1;
}

DaemonOptions two_threads() {
  DaemonOptions options;
  options.threads = 2;
  options.once = true;
  return options;
}

TEST(StopLatency, ALanguageModelForwardOverOne100000TokenLineStopsWithinSeconds) {
  TempDir dir;
  write_tokens(dir / "long.tokens", 1, 100000);
  const auto path = dir / "long.db";
  auto db = submitted(path, experiment(dir / "long.tokens", 4, 2));
  std::atomic<bool> stop{false};
  auto daemon = std::async(std::launch::async, [&] { return run_daemon(db, two_threads(), stop); });
  // Inside generation 0's forward passes (one takes minutes: attention over 100,000 positions).
  ASSERT_EQ(daemon.wait_for(std::chrono::milliseconds(1500)), std::future_status::timeout);
  const auto asked = Clock::now();
  stop = true;
  ASSERT_EQ(daemon.wait_for(std::chrono::seconds(120)), std::future_status::ready) << "the stop was not honoured";
  const double latency = std::chrono::duration<double>(Clock::now() - asked).count();
  std::printf("stop latency inside a 100,000-token language-model forward: %.3f s\n", latency);
  EXPECT_LT(latency, 5.0);
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
    auto reference = submitted(dir / "reference.db", text);
    std::atomic<bool> never{false};
    ASSERT_EQ(run_daemon(reference, two_threads(), never).finished, std::vector<int64_t>{1});
  }
  const auto path = dir / "stopped.db";
  auto db = submitted(path, text);
  std::atomic<bool> stop{false};
  auto daemon = std::async(std::launch::async, [&] { return run_daemon(db, two_threads(), stop); });
  while (last_generation(path) < 0 && daemon.wait_for(std::chrono::milliseconds(5)) == std::future_status::timeout) {
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  const auto report = daemon.get();
  ASSERT_EQ(report.paused, std::vector<int64_t>{1}) << "the run finished before the stop";
  std::atomic<bool> never{false};
  ASSERT_EQ(run_daemon(db, two_threads(), never).finished, std::vector<int64_t>{1});
  const auto expected = testing::read_histories(dir / "reference.db");
  const auto actual = testing::read_histories(path);
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_EQ(testing::first_difference(expected.at(1), actual.at(1)), "");
}

}  // namespace
}  // namespace seedline::runner
