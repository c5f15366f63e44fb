// The dealer (rank 0) and the worker loop (other ranks) over an in-process transport: every
// item evaluated once and returned in item order whichever rank ran it, dynamic dealing, a
// failed item or a stop request ending a stage with every rank idle again, version checks,
// and byte counters that agree on both ends. (tests/distributed/CMakeLists.txt runs the same
// code over real MPI with mpirun.)
#include "distributed/dealer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <map>
#include <thread>

#include "distributed/local_fabric.hpp"
#include "distributed/worker.hpp"
#include "runner/work.hpp"
#include "util/error.hpp"

namespace seedline::distributed {
namespace {

using testing::LocalFabric;

// The "evaluation" of an item, a pure function of it: what every rank must return.
ItemResult expected(const WorkItem& item) {
  const uint64_t mix = (item.source.seed * 0x9E3779B97F4A7C15ULL) ^ item.episode_seed ^ (uint64_t{item.stage} << 32);
  ItemResult r{item.index, std::ldexp(static_cast<double>(mix >> 11), -53) + item.episode,
               static_cast<int64_t>(mix % 500), {}};
  if (item.member % 5 == 0) r.metrics = {{"member", item.member}, {"half", r.reward / 2}};
  return r;
}

// Evaluates a chunk as a LocalExecutor would: each item by expected(), a fixed delay per
// item, and a failure for the whole chunk when one item's seed is 13.
void evaluate_chunk(std::span<const WorkItem> items, std::span<ItemResult> results, std::chrono::microseconds delay) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (items[i].source.seed == 13) fail(ErrorCode::kInvalidArgument, "task: unlucky member 13");
    results[i] = expected(items[i]);
  }
}

// A worker handler that evaluates items with expected(), counts them, optionally slowly, and
// fails items or control messages on request.
class FakeHandler : public WorkerHandler {
 public:
  FakeHandler(std::chrono::microseconds delay, int threads) : delay_(delay), threads_(threads) {}
  int threads() const override { return threads_; }
  void start_run(const RunStart& start) override {
    if (start.config_json == "bad config") throw std::runtime_error("config: bad");
    run_ = start.run_id;
    genotypes_ = 0;
  }
  void add_genotype(Genotype) override { ++genotypes_; }
  void select(const Selection& selection) override {
    if (selection.digest == 666) throw std::runtime_error("selection digest differs");
    ++selections_;
  }
  void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) override {
    evaluate_chunk(items, results, delay_);
    items_ += static_cast<int>(items.size());
  }
  void end_run(int64_t) override { run_ = 0; }

  std::atomic<int> items_{0};
  int genotypes_ = 0;
  int selections_ = 0;
  int64_t run_ = 0;

 private:
  std::chrono::microseconds delay_;
  int threads_;
};

std::vector<WorkItem> make_items(size_t n, uint64_t poison_seed = 0) {
  std::vector<WorkItem> items;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t seed = i / 2 == 7 && poison_seed != 0 ? poison_seed : 1000 + i / 2;
    items.push_back({0, static_cast<uint32_t>(i / 2), {Source::Kind::kChild, static_cast<int32_t>(i % 3), seed}, 0,
                     static_cast<uint32_t>(i % 2), 77 + i % 2});
  }
  return items;
}

void expect_results(const std::vector<WorkItem>& items, const std::vector<ItemResult>& results) {
  ASSERT_EQ(results.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto want = expected(items[i]);
    want.index = static_cast<uint32_t>(i);
    ASSERT_EQ(results[i], want) << "item " << i;
  }
}

// Ranks 1..n-1 serve in threads; joins them at destruction (after shutdown).
class Workers {
 public:
  Workers(LocalFabric& fabric, int ranks, std::vector<std::chrono::microseconds> delays, int threads = 2) {
    for (int r = 1; r < ranks; ++r) {
      handlers_.push_back(std::make_unique<FakeHandler>(delays.at(static_cast<size_t>(r - 1)), threads));
    }
    for (int r = 1; r < ranks; ++r) {
      threads_.emplace_back([this, &fabric, r] {
        try {
          serve_worker(fabric.rank(r), *handlers_[static_cast<size_t>(r - 1)], 100);
        } catch (const std::exception& e) {
          ADD_FAILURE() << "rank " << r << ": " << e.what();
        }
      });
    }
  }
  ~Workers() {
    for (auto& t : threads_) t.join();
  }
  FakeHandler& handler(int rank) { return *handlers_.at(static_cast<size_t>(rank - 1)); }

 private:
  std::vector<std::unique_ptr<FakeHandler>> handlers_;
  std::vector<std::thread> threads_;
};

TEST(Dealer, EveryItemIsEvaluatedOnceAndReturnedInItemOrderWhoeverRanIt) {
  LocalFabric fabric(3);
  Workers workers(fabric, 3, {std::chrono::microseconds(50), std::chrono::microseconds(50)});
  {
    Dealer dealer(fabric.rank(0), {});
    ASSERT_EQ(dealer.workers().size(), 2u);
    EXPECT_EQ(dealer.workers()[1].rank, 2);
    EXPECT_EQ(dealer.workers()[1].threads, 2);
    std::atomic<int> local_items{0};
    LocalEvaluation local{1, [&](std::span<const WorkItem> chunk, std::span<ItemResult> results) {
                            evaluate_chunk(chunk, results, std::chrono::microseconds(50));
                            local_items += static_cast<int>(chunk.size());
                          }};
    const auto items = make_items(600);
    expect_results(items, dealer.evaluate(items, &local));
    const int remote = workers.handler(1).items_ + workers.handler(2).items_;
    EXPECT_EQ(remote + local_items, 600);
    EXPECT_GT(workers.handler(1).items_, 0);
    EXPECT_GT(workers.handler(2).items_, 0);
    EXPECT_GT(local_items, 0);
    // Without local threads, and with no items at all.
    expect_results(items, dealer.evaluate(items, nullptr));
    EXPECT_TRUE(dealer.evaluate({}, nullptr).empty());
    // A stage smaller than the ranks' credit still reaches every rank.
    const int before = workers.handler(1).items_ + workers.handler(2).items_ + local_items;
    const int before2 = workers.handler(2).items_;
    const auto small = make_items(12);
    expect_results(small, dealer.evaluate(small, &local));
    EXPECT_EQ(workers.handler(1).items_ + workers.handler(2).items_ + local_items, before + 12);
    EXPECT_GT(workers.handler(2).items_, before2);
    dealer.shutdown();
  }
}

TEST(Dealer, AFasterRankTakesMoreItems) {
  LocalFabric fabric(3);
  Workers workers(fabric, 3, {std::chrono::microseconds(4000), std::chrono::microseconds(0)}, 1);
  Dealer dealer(fabric.rank(0), {});
  const auto items = make_items(300);
  expect_results(items, dealer.evaluate(items, nullptr));
  // Rank 1 needs 4 ms an item and holds few; rank 2 streams through the rest.
  EXPECT_LT(workers.handler(1).items_ * 3, workers.handler(2).items_.load())
      << workers.handler(1).items_ << " vs " << workers.handler(2).items_;
  dealer.shutdown();
}

TEST(Dealer, AFailedItemFailsTheStageNamingTheRankAndTheNextStageWorks) {
  LocalFabric fabric(3);
  Workers workers(fabric, 3, {std::chrono::microseconds(0), std::chrono::microseconds(0)});
  Dealer dealer(fabric.rank(0), {});
  const auto poisoned = make_items(200, 13);
  try {
    dealer.evaluate(poisoned, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);  // the code of the worker's error
    EXPECT_NE(std::string(e.what()).find("task: unlucky member 13"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rank "), std::string::npos) << e.what();
  }
  // Every rank is idle again: the next stage gets exactly its own results.
  const auto items = make_items(50);
  expect_results(items, dealer.evaluate(items, nullptr));
  dealer.shutdown();
}

TEST(Dealer, ALocalFailureIsRethrownAsItself) {
  LocalFabric fabric(2);
  Workers workers(fabric, 2, {std::chrono::microseconds(100)});
  Dealer dealer(fabric.rank(0), {});
  LocalEvaluation local{2, [](std::span<const WorkItem>, std::span<ItemResult>) { throw std::out_of_range("local boom"); }};
  const auto items = make_items(100);
  EXPECT_THROW(dealer.evaluate(items, &local), std::out_of_range);
  expect_results(items, dealer.evaluate(items, nullptr));
  dealer.shutdown();
}

TEST(Dealer, AStopRequestEndsTheStageWithRunInterruptedAndEveryRankIdle) {
  LocalFabric fabric(3);
  Workers workers(fabric, 3, {std::chrono::microseconds(300), std::chrono::microseconds(300)});
  Dealer dealer(fabric.rank(0), {});
  const auto items = make_items(2000);
  int ticks = 0;
  EXPECT_THROW(dealer.evaluate(items, nullptr, [&] { ++ticks; }, [&] { return ticks > 20; }),
               runner::RunInterrupted);
  EXPECT_LT(workers.handler(1).items_ + workers.handler(2).items_, 2000);
  EXPECT_FALSE(dealer.halted());
  const auto few = make_items(10);
  expect_results(few, dealer.evaluate(few, nullptr));
  dealer.shutdown();
}

TEST(Dealer, RunMessagesReachEveryWorkerAndAControlErrorFailsOnlyThatRun) {
  LocalFabric fabric(3);
  Workers workers(fabric, 3, {std::chrono::microseconds(0), std::chrono::microseconds(0)});
  Dealer dealer(fabric.rank(0), {});
  const std::vector<Genotype> parents = {{5, 0, 1, {1, 2}}, {5, 1, 2, {3, 4}}};
  dealer.start_run(RunStart{5, 1, 0, "{}"}, parents);
  dealer.select(Selection{5, {{Source::Kind::kElite, 0, 0}}, 1});
  const auto items = make_items(20);
  expect_results(items, dealer.evaluate(items, nullptr));  // handlers saw the messages before
  for (int r : {1, 2}) {
    EXPECT_EQ(workers.handler(r).run_, 5);
    EXPECT_EQ(workers.handler(r).genotypes_, 2);
    EXPECT_EQ(workers.handler(r).selections_, 1);
  }
  dealer.select(Selection{5, {}, 666});  // the workers' handlers refuse it
  try {
    dealer.evaluate(items, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("selection digest differs"), std::string::npos) << e.what();
  }
  dealer.end_run(5);
  dealer.start_run(RunStart{6, 1, 0, "{}"}, {});
  expect_results(items, dealer.evaluate(items, nullptr));
  EXPECT_EQ(workers.handler(1).run_, 6);
  dealer.end_run(6);
  dealer.shutdown();
}

TEST(Dealer, ByteCountersOfRankZeroMatchTheWorkersKindByKind) {
  LocalFabric fabric(3);
  {
    Workers workers(fabric, 3, {std::chrono::microseconds(0), std::chrono::microseconds(0)});
    Dealer dealer(fabric.rank(0), {});
    dealer.start_run(RunStart{1, 1, 0, "{}"}, {});
    const auto items = make_items(100);
    dealer.evaluate(items, nullptr);
    dealer.select(Selection{1, {{Source::Kind::kRoot, -1, 5}}, 0});
    dealer.evaluate(items, nullptr);
    dealer.end_run(1);
    dealer.shutdown();
  }
  const auto& zero = fabric.rank(0).counters();
  for (int k = 1; k <= kMessageKinds; ++k) {
    const auto kind = static_cast<MessageKind>(k);
    const auto& a = fabric.rank(1).counters();
    const auto& b = fabric.rank(2).counters();
    EXPECT_EQ(zero.sent(kind).bytes, a.received(kind).bytes + b.received(kind).bytes) << kind_name(kind);
    EXPECT_EQ(zero.sent(kind).messages, a.received(kind).messages + b.received(kind).messages) << kind_name(kind);
    EXPECT_EQ(zero.received(kind).bytes, a.sent(kind).bytes + b.sent(kind).bytes) << kind_name(kind);
  }
  EXPECT_EQ(zero.sent(MessageKind::kSelection).messages, 2);
  EXPECT_EQ(zero.sent(MessageKind::kShutdown).bytes, 0);
  EXPECT_GT(zero.received(MessageKind::kResults).bytes, 200 * 10);  // at least 10 bytes a result
}

TEST(Dealer, AWorkerOfAnotherVersionIsRefusedByName) {
  LocalFabric fabric(2);
  std::thread impostor([&] {
    auto& t = fabric.rank(1);
    (void)t.receive(0, 100);
    t.send(0, MessageKind::kHelloReply, encode(HelloReply{kWireVersion, "0.0.1-old", 4, "old-node"}));
  });
  try {
    Dealer dealer(fabric.rank(0), {});
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    const std::string m = e.what();
    EXPECT_NE(m.find("rank 1 (old-node) runs seedline 0.0.1-old"), std::string::npos) << m;
    EXPECT_NE(m.find(SEEDLINE_VERSION), std::string::npos) << m;
  }
  impostor.join();
}

}  // namespace
}  // namespace seedline::distributed
