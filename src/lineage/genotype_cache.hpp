// GenotypeCache: an in-memory LRU of genotypes keyed by individual id, bounded in bytes.
//
// The runner daemon keeps the genotypes of recent parents here so that building a child, or
// rebuilding any descendant, replays a few mutations from a cached ancestor instead of from
// the nearest snapshot. Entries are immutable and shared: get() hands out a shared pointer,
// so an eviction never invalidates a genotype a caller is still reading.
//
// Thread-safe: every member takes one internal mutex, so one cache can serve a thread pool.
// Ids are only unique within one database file; use one cache per database. Nothing here
// throws except std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace seedline::lineage {

class GenotypeCache {
 public:
  using Genotype = std::shared_ptr<const std::vector<float>>;

  // `budget_bytes` bounds the sum of cached genotype sizes (4 bytes per float). Default: 256 MiB.
  explicit GenotypeCache(size_t budget_bytes = size_t{256} << 20) : budget_(budget_bytes) {}
  GenotypeCache(const GenotypeCache&) = delete;
  GenotypeCache& operator=(const GenotypeCache&) = delete;

  // The cached genotype of `id` (marking it most recently used), or nullptr. Counts a hit or miss.
  Genotype get(int64_t id);
  // Caches `genotype` as `id`'s, replacing any previous entry, then evicts least recently
  // used entries until the budget holds. A genotype larger than the whole budget is not kept.
  void put(int64_t id, std::vector<float> genotype);
  void put(int64_t id, Genotype genotype);
  // Whether `id` is cached, without touching recency or the hit counters.
  bool contains(int64_t id) const;
  void erase(int64_t id);
  void clear();

  size_t size() const;
  size_t bytes() const;
  size_t budget_bytes() const { return budget_; }
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Entry {
    int64_t id;
    Genotype genotype;
  };
  using List = std::list<Entry>;  // most recently used first

  static size_t bytes_of(const Genotype& g) { return g->size() * sizeof(float); }
  void erase_locked(List::iterator it);

  const size_t budget_;
  mutable std::mutex mu_;
  List lru_;                                          // guarded by mu_
  std::unordered_map<int64_t, List::iterator> index_;  // guarded by mu_
  size_t bytes_ = 0;                                  // guarded by mu_
  uint64_t hits_ = 0;                                 // guarded by mu_
  uint64_t misses_ = 0;                               // guarded by mu_
};

}  // namespace seedline::lineage
