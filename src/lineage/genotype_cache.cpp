#include "lineage/genotype_cache.hpp"

namespace seedline::lineage {

GenotypeCache::Genotype GenotypeCache::get(int64_t id) {
  std::lock_guard lock(mu_);
  const auto it = index_.find(id);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->genotype;
}

void GenotypeCache::put(int64_t id, std::vector<float> genotype) {
  put(id, std::make_shared<const std::vector<float>>(std::move(genotype)));
}

void GenotypeCache::put(int64_t id, Genotype genotype) {
  if (!genotype) return;
  std::lock_guard lock(mu_);
  if (const auto it = index_.find(id); it != index_.end()) erase_locked(it->second);
  const size_t size = bytes_of(genotype);
  if (size > budget_) return;
  lru_.push_front({id, std::move(genotype)});
  index_.emplace(id, lru_.begin());
  bytes_ += size;
  while (bytes_ > budget_) erase_locked(std::prev(lru_.end()));
}

bool GenotypeCache::contains(int64_t id) const {
  std::lock_guard lock(mu_);
  return index_.count(id) != 0;
}

void GenotypeCache::erase(int64_t id) {
  std::lock_guard lock(mu_);
  if (const auto it = index_.find(id); it != index_.end()) erase_locked(it->second);
}

void GenotypeCache::clear() {
  std::lock_guard lock(mu_);
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

size_t GenotypeCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

size_t GenotypeCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

uint64_t GenotypeCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

uint64_t GenotypeCache::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

void GenotypeCache::erase_locked(List::iterator it) {
  bytes_ -= bytes_of(it->genotype);
  index_.erase(it->id);
  lru_.erase(it);
}

}  // namespace seedline::lineage
