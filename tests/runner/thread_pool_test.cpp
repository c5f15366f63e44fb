#include "runner/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>

namespace seedline::runner {
namespace {

TEST(ThreadPool, RunsEveryIndexOnceAcrossWorkers) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 50; ++round) {
      std::vector<int> hits(1000, 0);
      std::vector<std::set<int>> workers(1000);
      pool.parallel_for(hits.size(), [&](size_t i, int worker) {
        ++hits[i];
        ASSERT_GE(worker, 0);
        ASSERT_LT(worker, threads);
      });
      for (int h : hits) ASSERT_EQ(h, 1);
    }
  }
}

TEST(ThreadPool, RethrowsTheFirstErrorAndStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100, [](size_t i, int) {
    if (i == 37) throw std::runtime_error("boom");
  }),
               std::runtime_error);
  std::atomic<int> count{0};
  pool.parallel_for(10, [&](size_t, int) { ++count; });
  EXPECT_EQ(count.load(), 10);
  pool.parallel_for(0, [&](size_t, int) { ++count; });
  EXPECT_EQ(count.load(), 10);
}

}  // namespace
}  // namespace seedline::runner
