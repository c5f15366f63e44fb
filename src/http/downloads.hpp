// Genome download bodies: built once, shared by every response that sends the same file, and
// bounded in total, so clients that never read their downloads cannot pin unbounded memory.
//
// A body lives while a response holds it (the session writes it in chunks straight from the
// shared bytes; nothing is copied per connection). Identical downloads in flight at the same
// time (same individual, format and content) share one body, which is safe because an
// individual's genome never changes once stored. Distinct bodies in flight are bounded by
// `max_bytes`: beyond it a new download is refused (503, retry later) until responses finish
// or their connections time out.
//
// Thread-safety: acquire() may be called from any thread; bodies are immutable.
// Failure: acquire() rethrows what `make` throws; it returns nullptr when over the bound.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "http/api.hpp"

namespace seedline::http {

class Downloads {
 public:
  explicit Downloads(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The body for `key`: the one in flight if any, else make()'s bytes if they fit under the
  // bound, else nullptr.
  std::shared_ptr<const GenomeFile> acquire(const std::string& key, const std::function<GenomeFile()>& make);

  size_t bytes_in_flight() const;
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct State {
    std::mutex mutex;
    size_t bytes = 0;                                              // guarded by mutex
    std::map<std::string, std::weak_ptr<const GenomeFile>> live;  // guarded by mutex
  };
  size_t max_bytes_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace seedline::http
