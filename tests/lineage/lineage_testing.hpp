// Test helpers for lineages: a fake genome (deterministic in the seed, cheap, and
// order-sensitive so a replay from the wrong start or with a wrong seed changes the bits)
// and builders that write lineages with the store's writer API, as the runner would.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lineage/rebuild.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"

namespace seedline::lineage::fixtures {

inline uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A float in [-0.5, 0.5) from the top 24 bits of a hash; exact, no rounding involved.
inline float unit(uint64_t h) { return static_cast<float>(h >> 40) * (1.0f / 16777216.0f) - 0.5f; }

constexpr size_t kFakeGenotypeSize = 1000;

inline GenomeOps fake_genome(size_t n = kFakeGenotypeSize) {
  GenomeOps ops;
  ops.init = [n](uint64_t seed) {
    std::vector<float> g(n);
    for (size_t i = 0; i < n; ++i) g[i] = unit(splitmix(seed + i * 0x632be59bd9b4e019ULL));
    return g;
  };
  ops.mutate = [](std::span<float> g, uint64_t seed) {
    for (size_t i = 0; i < g.size(); ++i) g[i] += 0.01f * unit(splitmix(seed ^ (i * 0xd1342543de82ef95ULL)));
  };
  ops.checksum = [](std::span<const float> g) { return XXH64(g.data(), g.size() * sizeof(float), 0); };
  return ops;
}

// A fresh experiment with one condition and one run; returns the run id.
inline int64_t make_run(store::Database& db, int trial = 0) {
  const int64_t e = store::insert_experiment(db, "lineage-test-" + std::to_string(trial), "{}");
  const int64_t c = store::insert_condition(db, e, 0, "direct", "{}");
  return store::insert_run(db, e, c, trial, 0x5eed0000ULL + static_cast<uint64_t>(trial), 1);
}

inline int64_t add(store::Database& db, int64_t run, std::optional<int64_t> parent, int generation, uint64_t seed,
                   std::optional<double> fitness = std::nullopt, std::optional<uint64_t> checksum = std::nullopt) {
  const store::NewIndividual n{parent, seed, generation, fitness, checksum};
  return store::insert_individuals(db, run, std::span(&n, 1)).first;
}

// A single line of descent: ids[k] is born in generation k, its genotype computed directly
// (not through rebuild) in genotypes[k].
struct Chain {
  std::vector<int64_t> ids;
  std::vector<std::vector<float>> genotypes;
};

struct ChainOptions {
  int depth = 300;             // generations below the root
  int snapshot_every = 0;      // snapshot individuals of generation 25, 50, ...; 0: none
  bool checksum_parents = true;  // every individual but the last became a parent
  uint64_t seed_base = 1;
};

inline Chain build_chain(store::Database& db, int64_t run, const GenomeOps& ops, const ChainOptions& o) {
  Chain chain;
  store::Transaction tx(db);
  std::vector<float> g;
  for (int k = 0; k <= o.depth; ++k) {
    const uint64_t seed = splitmix(o.seed_base * 1000003ULL + static_cast<uint64_t>(k));
    if (k == 0) g = ops.init(seed);
    else ops.mutate(g, seed);
    const bool parent = k < o.depth;
    std::optional<uint64_t> checksum;
    if (parent && o.checksum_parents) checksum = ops.checksum(g);
    const auto parent_id = k == 0 ? std::nullopt : std::optional<int64_t>(chain.ids.back());
    chain.ids.push_back(add(db, run, parent_id, k, seed, 0.5 + k * 0.25, checksum));
    chain.genotypes.push_back(g);
    if (o.snapshot_every > 0 && k > 0 && k % o.snapshot_every == 0) {
      write_snapshot(db, run, chain.ids.back(), g, ops.checksum(g));
    }
  }
  tx.commit();
  return chain;
}

}  // namespace seedline::lineage::fixtures
