// Claiming runs: order, staleness, and owner-conditional writes.
#include "store/run_repo.hpp"

#include <gtest/gtest.h>

#include "store/migrations.hpp"

namespace seedline::store {
namespace {

class RunRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    migrate(db_);
    experiment_ = insert_experiment(db_, "e", "{}");
    const int64_t c = insert_condition(db_, experiment_, 0, "c", "{}");
    for (int t = 0; t < 3; ++t) runs_.push_back(insert_run(db_, experiment_, c, t, 100 + t, 1));
  }
  ClaimOptions claim(const std::string& owner, double now) {
    ClaimOptions o;
    o.owner = owner;
    o.now = now;
    o.stale_after = 30;
    return o;
  }
  Database db_ = Database::open_memory();
  int64_t experiment_ = 0;
  std::vector<int64_t> runs_;
};

TEST_F(RunRepo, ClaimsQueuedRunsOldestFirstOnce) {
  auto a = claim_run(db_, claim("a", 1000));
  auto b = claim_run(db_, claim("b", 1000));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, runs_[0]);
  EXPECT_EQ(b->id, runs_[1]);
  EXPECT_EQ(a->state, RunState::kRunning);
  EXPECT_EQ(a->owner, "a");
  ASSERT_TRUE(claim_run(db_, claim("c", 1000)));
  EXPECT_FALSE(claim_run(db_, claim("d", 1000)));
}

TEST_F(RunRepo, AStaleRunIsReclaimedAndItsOldOwnerLocksItselfOut) {
  auto a = claim_run(db_, claim("a", 1000));
  ASSERT_TRUE(heartbeat(db_, a->id, "a", 1010));
  // Fresh heartbeat: the run is not claimable; the next queued one is.
  EXPECT_EQ(claim_run(db_, claim("b", 1020))->id, runs_[1]);
  // 31 s without a heartbeat: "b"'s new claim takes the stale run before queued ones.
  auto again = claim_run(db_, claim("c", 1041));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, a->id);
  EXPECT_EQ(again->owner, "c");
  EXPECT_FALSE(heartbeat(db_, a->id, "a", 1042));
  EXPECT_FALSE(owns_run(db_, a->id, "a"));
  EXPECT_FALSE(release_run(db_, a->id, "a", RunState::kFinished, std::nullopt));
  EXPECT_TRUE(owns_run(db_, a->id, "c"));
}

TEST_F(RunRepo, PausedRunsAreResumedBeforeQueuedOnes) {
  auto a = claim_run(db_, claim("a", 1000));
  ASSERT_TRUE(release_run(db_, a->id, "a", RunState::kPaused, std::string("stopped by signal")));
  EXPECT_EQ(find_run(db_, a->id)->message, "stopped by signal");
  EXPECT_EQ(claim_run(db_, claim("b", 1001))->id, a->id);
}

TEST_F(RunRepo, FinishedAndFailedRunsAreNeverClaimed) {
  for (int i = 0; i < 3; ++i) {
    auto r = claim_run(db_, claim("a", 1000));
    ASSERT_TRUE(r);
    release_run(db_, r->id, "a", i == 0 ? RunState::kFailed : RunState::kFinished, std::nullopt);
  }
  EXPECT_FALSE(claim_run(db_, claim("b", 5000)));
  EXPECT_EQ(unfinished_runs(db_, experiment_), 0);
}

TEST_F(RunRepo, ClaimsCanBeLimitedToOneExperiment) {
  const int64_t other = insert_experiment(db_, "other", "{}");
  const int64_t c = insert_condition(db_, other, 0, "c", "{}");
  const int64_t r = insert_run(db_, other, c, 0, 1, 1);
  auto o = claim("a", 1000);
  o.experiment_id = other;
  EXPECT_EQ(claim_run(db_, o)->id, r);
  EXPECT_FALSE(claim_run(db_, o));
}

}  // namespace
}  // namespace seedline::store
