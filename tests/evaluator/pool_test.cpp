// EvaluatorPool against real evaluator processes (tests/evaluator/fault_evaluator.py): the
// happy path, and every fault the pool must survive or report — crash, hang past the
// timeout, garbage on the socket, NaN, a wrong type, an exception, an exit at start — each
// followed by a /proc scan proving that no evaluator process (or grandchild) is left.
#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <thread>

#include "evaluator/pool.hpp"
#include "evaluator_testing.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/utf8.hpp"

namespace seedline::evaluator {
namespace {

using seedline::testing::TempDir;
using testing::fault_command;
using testing::processes_with;
using testing::wait_until_gone;

// A 2x3 weight and a bias of 2: 8 float32 values per individual.
PoolOptions options_for(std::vector<std::string> command, int workers = 2) {
  PoolOptions o;
  o.command = std::move(command);
  o.workers = workers;
  o.timeout = 20;
  o.startup_timeout = 20;
  o.retries = 2;
  o.weights_bytes = 8 * sizeof(float);
  const nlohmann::json network = nlohmann::json::array({{{"type", "dense"}, {"in", 3}, {"out", 2}}});
  o.hello = make_hello({{"layers.0.weight", {2, 3}}, {"layers.0.bias", {2}}}, network, {{"type", "external"}});
  return o;
}

// Three members with distinct weights, two episodes each.
struct Work {
  std::vector<std::vector<float>> weights = {{1, 2, 3, 4, 5, 6, 0.5f, -0.5f},
                                             {0, 0, 0, 0, 0, 0, 0, 0},
                                             {-1, 0.25f, 3, 0, 1e-3f, 7, 2, 1}};
  std::vector<Item> items;
  Work() {
    for (int m = 0; m < 3; ++m) {
      for (int e = 0; e < 2; ++e) items.push_back({m, e, 1000003ull * static_cast<uint64_t>(m) + 17ull * e + 5});
    }
  }
  std::vector<ItemResult> run(EvaluatorPool& pool, std::function<void()> tick = [] {}) {
    return pool.evaluate(
        items, [this](int m) { return std::span<const float>(weights[static_cast<size_t>(m)]); },
        [this](size_t i) {
          return "member " + std::to_string(items[i].member) + " (test individual), episode " +
                 std::to_string(items[i].episode);
        },
        tick);
  }
};

// Runs `fn`, expects an Error, returns its message.
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

void expect_contains(const std::string& text, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(text.find(p), std::string::npos) << "'" << p << "' missing from:\n" << text;
}

TEST(EvaluatorPool, ReturnsEveryItemsRewardStepsAndMetricsAndLeavesNoProcess) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("ok", dir.path().string())));
    Work work;
    const auto results = work.run(pool);
    EXPECT_EQ(pool.identity().name, "fault-evaluator");
    EXPECT_EQ(pool.identity().version, "1.0");
    EXPECT_EQ(pool.identity().protocol, kProtocolVersion);
    EXPECT_EQ(processes_with(dir.path().string()).size(), 2u);
    ASSERT_EQ(results.size(), work.items.size());
    for (size_t i = 0; i < results.size(); ++i) {
      // The evaluator's formula (fault_evaluator.py), computed here in double.
      double norm2 = 0;
      for (float w : work.weights[static_cast<size_t>(work.items[i].member)]) norm2 += double{w} * double{w};
      const uint64_t seed = work.items[i].episode_seed;
      EXPECT_NEAR(results[i].reward, -norm2 + static_cast<double>(seed % 1000) / 1000.0, 1e-12) << "item " << i;
      EXPECT_EQ(results[i].steps, static_cast<int64_t>(1 + seed % 7)) << "item " << i;
      ASSERT_EQ(results[i].metrics.size(), 1u);
      EXPECT_EQ(results[i].metrics[0].first, "norm2");
      EXPECT_NEAR(results[i].metrics[0].second, norm2, 1e-12);
    }
    // A second batch on the same processes.
    const auto again = work.run(pool);
    for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(again[i].reward, results[i].reward);
    EXPECT_EQ(pool.restarts(), 0);
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, ACrashedWorkerIsRestartedAndItsItemRetriedThenTheErrorNamesEverything) {
  TempDir dir;
  {
    auto o = options_for(fault_command("crash", dir.path().string()), 1);
    EvaluatorPool pool(o);
    Work work;
    const std::string message = error_of([&] { work.run(pool); });
    expect_contains(message, {"worker 0", "member 0 (test individual)", "episode 0", "exited with status 3",
                              "attempt 3 of 3", "fault_evaluator: crashing on purpose", "fault_evaluator.py"});
    EXPECT_EQ(pool.restarts(), 3);
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AWorkerThatCrashesOnceIsRestartedAndTheRetrySucceeds) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("crash_once", dir.path().string(), (dir / "crashed").string()), 2));
    Work work;
    const auto results = work.run(pool);
    EXPECT_EQ(pool.restarts(), 1);
    for (const auto& r : results) EXPECT_TRUE(std::isfinite(r.reward));
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, WorkersOutliveTheShortLivedThreadThatStartedOrRestartedThem) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("crash_once", dir.path().string(), (dir / "crashed").string()), 1));
    Work work;
    // The run driver calls the executor on a helper thread per generation; the death signal
    // must not follow that thread.
    std::async(std::launch::async, [&] { work.run(pool); }).get();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(pool.restarts(), 1);
    const auto again = work.run(pool);
    EXPECT_EQ(pool.restarts(), 1);
    EXPECT_EQ(again.size(), work.items.size());
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AWorkerHungPastTheTimeoutIsKilledAndTheRunFails) {
  TempDir dir;
  {
    auto o = options_for(fault_command("hang", dir.path().string()), 1);
    o.timeout = 0.4;
    o.retries = 1;
    EvaluatorPool pool(o);
    Work work;
    const auto start = std::chrono::steady_clock::now();
    const std::string message = error_of([&] { work.run(pool); });
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    expect_contains(message, {"worker 0", "did not answer within 0.4 s", "was killed by seedline", "attempt 2 of 2",
                              "hanging on purpose", "member 0"});
    EXPECT_LT(took, 10.0);
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, GarbageOnTheSocketIsAProtocolFailure) {
  TempDir dir;
  {
    auto o = options_for(fault_command("garbage", dir.path().string()), 1);
    o.retries = 0;
    EvaluatorPool pool(o);
    Work work;
    const std::string message = error_of([&] { work.run(pool); });
    expect_contains(message, {"worker 0", "sent garbage", "is not a protocol 1 frame", "this is not",
                              "writing garbage", "attempt 1 of 1"});
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, ANanRewardFailsAtOnceWithoutRetry) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("nan", dir.path().string()), 1));
    Work work;
    const std::string message = error_of([&] { work.run(pool); });
    expect_contains(message, {"worker 0", "returned the reward NaN", "member 0 (test individual)"});
    EXPECT_EQ(pool.restarts(), 0);
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AWrongReturnTypeIsReportedByTheClientAndFailsAtOnce) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("wrongtype", dir.path().string()), 1));
    Work work;
    const std::string message = error_of([&] { work.run(pool); });
    expect_contains(message, {"worker 0", "reported an error", "evaluate returned the reward 'abc' (str)",
                              "member 0 (test individual)"});
    EXPECT_EQ(pool.restarts(), 0);
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AnExceptionInEvaluateComesBackWithItsTraceback) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("raise", dir.path().string()), 1));
    Work work;
    const std::string message = error_of([&] { work.run(pool); });
    expect_contains(message, {"Traceback", "ValueError: the environment refused these weights", "member 0"});
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AnEvaluatorThatExitsBeforeItsFirstReadyIsRefusedOnTheFirstAttempt) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("exit_at_start", dir.path().string()), 2));
    const std::string message = error_of([&] { pool.start([] {}); });
    expect_contains(message, {"exited with status 3", "before its first READY", "not retried",
                              "cannot start: no licence for the simulator"});
    EXPECT_EQ(pool.restarts(), 1);  // the one failure; no worker was started again
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AMissingProgramIsNotFound) {
  try {
    EvaluatorPool pool(options_for({"seedline-no-such-evaluator-program"}));
    FAIL() << "a missing program was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("'seedline-no-such-evaluator-program' not found in PATH"), std::string::npos)
        << e.what();
  }
}

TEST(EvaluatorPool, StoppingTakesTheEvaluatorsProcessGroupWithIt) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("grandchild", dir.path().string()), 1));
    Work work;
    work.run(pool);
    // The Python evaluator and its sleeping grandchild.
    EXPECT_EQ(processes_with(dir.path().string()).size(), 2u);
  }
  // The grandchild is not our child: SIGKILL to the group returns before the kernel has
  // finished it, and its new parent reaps it, so allow it a moment (children are reaped
  // by the pool itself and are checked with no delay everywhere else).
  EXPECT_EQ(wait_until_gone(dir.path().string(), 2), std::vector<int>{});
}

TEST(EvaluatorPool, AStopRequestWhileItemsAreInFlightKillsTheBusyWorkers) {
  TempDir dir;
  struct Stop {};
  {
    EvaluatorPool pool(options_for(fault_command("slow", dir.path().string(), "30"), 2));
    pool.start([] {});
    Work work;
    int ticks = 0;
    EXPECT_THROW(work.run(pool, [&] {
      if (++ticks > 5) throw Stop{};
    }), Stop);
    EXPECT_EQ(wait_until_gone(dir.path().string(), 2), std::vector<int>{});
  }
}

// A message shown to a person: valid UTF-8, no control character but line breaks and tabs.
void expect_printable(const std::string& message) {
  EXPECT_TRUE(valid_utf8(message)) << message;
  for (size_t i = 0; i < message.size(); ++i) {
    const auto c = static_cast<unsigned char>(message[i]);
    EXPECT_TRUE(c >= 0x20 || c == '\n' || c == '\t') << "control byte " << int(c) << " at " << i << " in:\n"
                                                     << escape_bytes(message, 400);
    EXPECT_NE(c, 0x7f) << "DEL at " << i;
  }
}

// The error of a raw-mode evaluator (fault_evaluator.py) on the first item, 1 worker.
std::string raw_error(const TempDir& dir, const std::string& mode, int retries = 0, int* restarts = nullptr) {
  auto o = options_for(fault_command(mode, dir.path().string()), 1);
  o.retries = retries;
  EvaluatorPool pool(o);
  Work work;
  const std::string message = error_of([&] { work.run(pool); });
  if (restarts != nullptr) *restarts = pool.restarts();
  return message;
}

TEST(EvaluatorPool, ANulByteInAnErrorIsShownAndDoesNotCutTheMessage) {
  TempDir dir;
  const std::string message = raw_error(dir, "error_nul");
  expect_contains(message, {"member 0 (test individual)", "reported an error: before\\x00after: the evaluator's message goes on"});
  expect_printable(message);
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, ControlBytesInAnErrorAndInTheWorkersOutputAreEscaped) {
  TempDir dir;
  const std::string message = raw_error(dir, "error_control");
  expect_contains(message, {"reported an error: \\x1b[2J\\x1b[31mred alert\\x1b[0m\\x07 bell\\x0dover",
                            "\\x1b[31mstderr in red\\x1b[0m"});
  expect_printable(message);
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AnErrorThatIsNotUtf8IsShownWithItsBadBytesEscaped) {
  TempDir dir;
  const std::string message = raw_error(dir, "error_invalid_utf8");
  expect_contains(message, {"reported an error: caf\\xe9 \\xff\\xfe broken"});
  expect_printable(message);
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AOneMebibyteErrorIsCutToItsFirst16KiB) {
  TempDir dir;
  const std::string message = raw_error(dir, "error_huge");
  // The frame's payload is 1 MiB: an 8-byte item id and (1 MiB - 8) bytes of message.
  const size_t text = (size_t{1} << 20) - 8;
  expect_contains(message, {"reported an error: EEEE", "... (" + std::to_string(text - kMaxErrorBytes) + " bytes more)"});
  EXPECT_LT(message.size(), kMaxErrorBytes + 4096) << "the whole message reached seedline's error";
  expect_printable(message);
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AnErrorFrameAboutAnotherItemIsGarbageNotTheItemsError) {
  TempDir dir;
  int restarts = 0;
  const std::string message = raw_error(dir, "error_wrong_id", 1, &restarts);
  // A protocol fault of the worker: killed, the item retried on a new one, then the run fails.
  expect_contains(message, {"member 0 (test individual)", "sent an ERROR frame about item ", "but was asked item ",
                            "(garbage: 'an error about another item')", "attempt 2 of 2"});
  EXPECT_EQ(message.find("reported an error"), std::string::npos) << message;
  EXPECT_EQ(restarts, 2);
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AMetricNameThatIsNotUtf8IsAProtocolError) {
  TempDir dir;
  int restarts = 0;
  const std::string message = raw_error(dir, "metric_invalid_utf8", 0, &restarts);
  expect_contains(message, {"sent a malformed RESULT", "metric 0 has a name that is not valid UTF-8 ('bad\\xffname')",
                            "attempt 1 of 1"});
  expect_printable(message);
  EXPECT_EQ(restarts, 1);
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, ControlCharactersInAMetricNameAreEscaped) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("metric_control", dir.path().string()), 1));
    Work work;
    const auto results = work.run(pool);
    ASSERT_EQ(results.size(), work.items.size());
    for (const auto& r : results) {
      ASSERT_EQ(r.metrics.size(), 1u);
      EXPECT_EQ(r.metrics[0].first, "m\\x1b[31m");
    }
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, AFiveHundredThousandCharacterNameIsCutTo200Bytes) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("long_name", dir.path().string()), 1));
    pool.start([] {});
    EXPECT_EQ(pool.identity().name, std::string(kMaxIdentityBytes, 'N') + "... (499800 bytes more)");
    EXPECT_EQ(pool.identity().version, "1.0");
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, ControlCharactersInTheNameAndVersionAreEscaped) {
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("control_name", dir.path().string()), 2));
    pool.start([] {});
    EXPECT_EQ(pool.identity().name, "evil\\x1b]0;title\\x07\\x00name");
    EXPECT_EQ(pool.identity().version, "1.0\\x1b[31m");
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

// Files fault_evaluator.py's `count` mode created in `dir`: one per process started. A batch
// may end while workers started for it are still importing numpy, so this waits up to 10 s
// for the count to exceed `at_least` (and then for a moment more, to catch any extra).
size_t started_processes(const std::filesystem::path& dir, size_t at_least = 0) {
  const auto count = [&] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
    return n;
  };
  for (int i = 0; i < 1000 && count() < at_least; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return count();
}

TEST(EvaluatorPool, NoMoreWorkersStartThanThereAreItemsInFlight) {
  TempDir dir;
  const auto counts = dir / "started";
  std::filesystem::create_directories(counts);
  {
    auto o = options_for(fault_command("count", dir.path().string(), counts.string()), 200);
    o.expected_items = 4;
    EvaluatorPool pool(o);
    pool.start([] {});
    EXPECT_EQ(started_processes(counts, 4), 4u);
    EXPECT_EQ(processes_with(dir.path().string()).size(), 4u);
    Work work;  // 6 items: two more workers, not 196
    const auto results = work.run(pool);
    EXPECT_EQ(results.size(), 6u);
    EXPECT_EQ(pool.active_workers(), 6);
    EXPECT_EQ(started_processes(counts, 6), 6u);
    work.run(pool);
    EXPECT_EQ(started_processes(counts, 6), 6u);
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

TEST(EvaluatorPool, WithoutAnExpectedBatchTheFirstBatchSizesThePool) {
  TempDir dir;
  const auto counts = dir / "started";
  std::filesystem::create_directories(counts);
  {
    EvaluatorPool pool(options_for(fault_command("count", dir.path().string(), counts.string()), 200));
    Work work;
    work.run(pool);
    EXPECT_EQ(pool.active_workers(), 6);
    EXPECT_EQ(started_processes(counts, 6), 6u);
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 0), std::vector<int>{});
}

}  // namespace
}  // namespace seedline::evaluator
