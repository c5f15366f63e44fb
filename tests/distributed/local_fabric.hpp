// An in-process Transport for tests of the dealer and the worker loop without mpirun: one
// mailbox per rank, messages of one pair kept in order (like MPI's non-overtaking rule).
// Each Endpoint is used by one thread, as an MpiTransport is; the mailboxes are locked.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "distributed/transport.hpp"

namespace seedline::distributed::testing {

class LocalFabric {
 public:
  explicit LocalFabric(int ranks) : boxes_(static_cast<size_t>(ranks)) {
    for (int r = 0; r < ranks; ++r) endpoints_.push_back(std::make_unique<Endpoint>(*this, r));
  }
  Transport& rank(int r) { return *endpoints_.at(static_cast<size_t>(r)); }

 private:
  struct Mailbox {
    std::mutex mu;
    std::deque<Envelope> queue;
  };

  class Endpoint : public Transport {
   public:
    Endpoint(LocalFabric& fabric, int rank) : fabric_(fabric), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return static_cast<int>(fabric_.boxes_.size()); }

   protected:
    void raw_send(int dest, int tag, const Bytes& payload) override {
      auto& box = fabric_.boxes_.at(static_cast<size_t>(dest));
      std::lock_guard lock(box.mu);
      box.queue.push_back({rank_, static_cast<MessageKind>(tag), payload});
    }
    std::optional<Envelope> raw_try_receive(int source) override {
      auto& box = fabric_.boxes_.at(static_cast<size_t>(rank_));
      std::lock_guard lock(box.mu);
      for (auto it = box.queue.begin(); it != box.queue.end(); ++it) {
        if (source != kAnySource && it->source != source) continue;
        Envelope e = std::move(*it);
        box.queue.erase(it);
        return e;
      }
      return std::nullopt;
    }

   private:
    LocalFabric& fabric_;
    int rank_;
  };

  std::vector<Mailbox> boxes_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
};

}  // namespace seedline::distributed::testing
