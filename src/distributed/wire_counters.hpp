// WireCounters: messages and payload bytes per message kind, sent and received, as one rank
// counts them (the figures docs/distributed.md reports).
//
// Thread-safety: not synchronized; one thread per rank owns it (the one that calls MPI).
// Failure: none (a kind outside the enum is an out_of_range bug).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "distributed/wire.hpp"

namespace seedline::distributed {

// Messages and payload bytes per kind, sent and received, as counted by this rank. Payload
// only: MPI adds its own envelope per message (tens of bytes over TCP), which is why the
// message counts are kept too.
class WireCounters {
 public:
  struct Count {
    int64_t messages = 0;
    int64_t bytes = 0;
  };
  void add_sent(MessageKind kind, size_t bytes);
  void add_received(MessageKind kind, size_t bytes);
  const Count& sent(MessageKind kind) const;
  const Count& received(MessageKind kind) const;
  Count total_sent() const;
  Count total_received() const;
  // `sent - earlier` kind by kind (for per-generation figures).
  WireCounters minus(const WireCounters& earlier) const;
  // {"sent": {"work": {"messages": n, "bytes": b}, ...}, "received": {...}}, kinds with no
  // traffic left out.
  nlohmann::json to_json() const;

 private:
  std::array<Count, kMessageKinds + 1> sent_{}, received_{};  // indexed by MessageKind
};

}  // namespace seedline::distributed
