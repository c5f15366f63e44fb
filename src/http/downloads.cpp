#include "http/downloads.hpp"

namespace seedline::http {

std::shared_ptr<const GenomeFile> Downloads::acquire(const std::string& key,
                                                     const std::function<GenomeFile()>& make) {
  {
    std::lock_guard lock(state_->mutex);
    if (auto it = state_->live.find(key); it != state_->live.end()) {
      if (auto body = it->second.lock()) return body;
    }
  }
  // Built outside the lock: rebuilding a genome takes a while, and other downloads go on.
  auto file = std::make_unique<GenomeFile>(make());
  const size_t size = file->bytes.size();
  std::lock_guard lock(state_->mutex);
  if (auto it = state_->live.find(key); it != state_->live.end()) {
    if (auto body = it->second.lock()) return body;  // another thread built it meanwhile
  }
  if (state_->bytes + size > max_bytes_) return nullptr;
  state_->bytes += size;
  // The deleter returns the bytes to the budget; it holds the state, so a body that outlives
  // this object (a response still being written at shutdown) is still accounted safely.
  std::shared_ptr<const GenomeFile> body(file.release(), [state = state_, key, size](const GenomeFile* p) {
    delete p;
    std::lock_guard l(state->mutex);
    state->bytes -= size;
    if (auto it = state->live.find(key); it != state->live.end() && it->second.expired()) state->live.erase(it);
  });
  state_->live[key] = body;
  return body;
}

size_t Downloads::bytes_in_flight() const {
  std::lock_guard lock(state_->mutex);
  return state_->bytes;
}

}  // namespace seedline::http
