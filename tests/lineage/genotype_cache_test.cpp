// The genotype LRU: byte budget, recency order, replacement, and use from several threads.
#include "lineage/genotype_cache.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace seedline::lineage {
namespace {

std::vector<float> genotype(size_t n, float v) { return std::vector<float>(n, v); }

TEST(GenotypeCache, EvictsTheLeastRecentlyUsedToStayWithinBudget) {
  GenotypeCache cache(3 * 400);  // three genotypes of 100 floats
  cache.put(1, genotype(100, 1));
  cache.put(2, genotype(100, 2));
  cache.put(3, genotype(100, 3));
  EXPECT_EQ(cache.bytes(), 1200u);
  ASSERT_NE(cache.get(1), nullptr);  // 1 is now the most recent; 2 the least
  cache.put(4, genotype(100, 4));
  EXPECT_FALSE(cache.contains(2));
  EXPECT_TRUE(cache.contains(1));
  EXPECT_TRUE(cache.contains(3));
  EXPECT_TRUE(cache.contains(4));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.bytes(), 1200u);
  // A larger genotype evicts as many as needed.
  cache.put(5, genotype(200, 5));  // 800 bytes: 3 then 1 must go
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.contains(5));
  EXPECT_TRUE(cache.contains(4));
  EXPECT_LE(cache.bytes(), cache.budget_bytes());
}

TEST(GenotypeCache, ReplacesCountsAndRefusesOversizedEntries) {
  GenotypeCache cache(1000);
  cache.put(7, genotype(10, 1));
  cache.put(7, genotype(20, 2));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), 80u);
  EXPECT_EQ((*cache.get(7))[0], 2.0f);
  EXPECT_EQ(cache.get(8), nullptr);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  cache.put(9, genotype(251, 0));  // 1004 bytes > budget: not kept, nothing evicted
  EXPECT_FALSE(cache.contains(9));
  EXPECT_TRUE(cache.contains(7));
  cache.erase(7);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(GenotypeCache, AGenotypeSurvivesItsEvictionWhileHeld) {
  GenotypeCache cache(400);
  cache.put(1, genotype(100, 1));
  const auto held = cache.get(1);
  cache.put(2, genotype(100, 2));
  EXPECT_FALSE(cache.contains(1));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ((*held)[99], 1.0f);
}

TEST(GenotypeCache, ManyThreadsKeepItConsistent) {
  GenotypeCache cache(50 * 40);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 5000; ++i) {
        const int64_t id = (i * 7 + t) % 120;
        if (auto g = cache.get(id)) {
          EXPECT_EQ((*g)[0], static_cast<float>(id));
        } else {
          cache.put(id, genotype(10, static_cast<float>(id)));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(cache.bytes(), cache.budget_bytes());
  EXPECT_EQ(cache.bytes(), cache.size() * 40);
  EXPECT_EQ(cache.hits() + cache.misses(), 20000u);
}

}  // namespace
}  // namespace seedline::lineage
