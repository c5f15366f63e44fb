// Rebuild on all cores: init and mutate split into element ranges over threads give the same
// bits as one thread, for every representation, and so does a whole lineage rebuild.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "genome/genome.hpp"
#include "lineage/rebuild.hpp"
#include "runner/thread_pool.hpp"

namespace seedline::genome {
namespace {

ParallelPieces on(runner::ThreadPool& pool) {
  return [&pool](size_t n, const std::function<void(size_t)>& piece) {
    pool.parallel_for(n, [&](size_t i, int) { piece(i); });
  };
}

TEST(ParallelReplay, SplittingByElementRangesGivesTheBitsOfOneThread) {
  // 300 x 250 weights + bias: 75,250 values, two pieces of 2^16 with a ragged end; the
  // factorized genome has blocks that straddle piece boundaries.
  const auto arch = parse_architecture(nlohmann::json::parse(R"([{"type": "dense", "in": 250, "out": 300},
                                                                  {"type": "dense", "in": 300, "out": 300}])"),
                                       std::nullopt);
  Representation factorized;
  factorized.type = Representation::Type::kFactorized;
  factorized.rank = 3;
  runner::ThreadPool pool(3);
  for (const auto& [name, rep] : {std::pair<const char*, Representation>{"direct", {}}, {"factorized", factorized}}) {
    SCOPED_TRACE(name);
    const Genome g(arch, rep, {0.02, 0.01, std::nullopt}, 1);
    const auto serial_root = g.init(11);
    const auto parallel_root = g.init_parallel(11, on(pool));
    EXPECT_EQ(Genome::checksum(serial_root), Genome::checksum(parallel_root));
    auto a = serial_root, b = serial_root;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      g.mutate(a, seed);
      g.mutate_parallel(b, seed, on(pool));
      ASSERT_EQ(Genome::checksum(a), Genome::checksum(b)) << "after mutation " << seed;
    }
    // mutate_into (a streamed member) is the copy + mutate bits too.
    std::vector<float> child(g.genotype_size());
    g.mutate_into(serial_root, 77, child);
    auto copy = serial_root;
    g.mutate(copy, 77);
    EXPECT_EQ(Genome::checksum(child), Genome::checksum(copy));
    // Ops with a pool are what lineage::rebuild replays with.
    const auto ops = g.ops(on(pool));
    auto c = ops.init(11);
    ops.mutate(c, 1);
    auto d = g.init(11);
    g.mutate(d, 1);
    EXPECT_EQ(ops.checksum(c), Genome::checksum(d));
    // The fused hash-then-mutate of a rebuild step: the checksum before, the bits after, on
    // the pool and with pieces run in reverse order on one thread (no deadlock either way).
    const ParallelPieces reversed = [](size_t n, const std::function<void(size_t)>& piece) {
      for (size_t i = n; i-- > 0;) piece(i);
    };
    for (const auto& parallel : {on(pool), reversed}) {
      auto e = serial_root;
      EXPECT_EQ(g.checksum_then_mutate(e, 1, parallel), Genome::checksum(serial_root));
      auto f = serial_root;
      g.mutate(f, 1);
      EXPECT_EQ(Genome::checksum(e), Genome::checksum(f));
    }
  }
}

}  // namespace
}  // namespace seedline::genome
