// Claiming runs: order, staleness, and owner-conditional writes.
#include "store/run_repo.hpp"

#include <gtest/gtest.h>

#include <map>

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

// Runs are inserted condition by condition; claims go trial by trial across conditions (in
// file position order, not condition id order), experiment by experiment, so the first runs
// of a partial experiment cover every condition.
TEST_F(RunRepo, QueuedRunsAreClaimedTrialMajorAcrossConditions) {
  const int64_t e = insert_experiment(db_, "later", "{}");
  // Inserted in the order "b" (position 1) then "a" (position 0): position decides.
  const int64_t b = insert_condition(db_, e, 1, "b", "{}");
  const int64_t a = insert_condition(db_, e, 0, "a", "{}");
  std::map<std::pair<std::string, int>, int64_t> id;
  for (const auto& [cond, name] : {std::pair{b, "b"}, std::pair{a, "a"}}) {
    for (int t = 0; t < 2; ++t) id[{name, t}] = insert_run(db_, e, cond, t, 7 + t, 1);
  }
  auto o = claim("x", 1000);
  // The older experiment's three runs (one condition) come first.
  for (int t = 0; t < 3; ++t) EXPECT_EQ(claim_run(db_, o)->id, runs_[t]) << "trial " << t;
  const std::vector<std::pair<std::string, int>> expected = {{"a", 0}, {"b", 0}, {"a", 1}, {"b", 1}};
  for (const auto& want : expected) {
    const auto got = claim_run(db_, o);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->id, id[want]) << "expected condition " << want.first << " trial " << want.second << ", got "
                                 << got->condition << " trial " << got->trial;
  }
  EXPECT_FALSE(claim_run(db_, o));
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
