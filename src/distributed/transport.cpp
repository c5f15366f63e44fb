#include "distributed/transport.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "util/error.hpp"

namespace seedline::distributed {

void Transport::send(int dest, MessageKind kind, const Bytes& payload) {
  raw_send(dest, static_cast<int>(kind), payload);
  counters_.add_sent(kind, payload.size());
}

std::optional<Envelope> Transport::try_receive(int source) {
  auto e = raw_try_receive(source);
  if (e) counters_.add_received(e->kind, e->payload.size());
  return e;
}

Envelope Transport::receive(int source, int max_pause_us) {
  Backoff backoff(max_pause_us);
  for (;;) {
    if (auto e = try_receive(source)) return std::move(*e);
    backoff.pause();
  }
}

void Backoff::pause() {
  // A few rounds of yielding first: a reply to a small message usually comes within
  // microseconds; then sleeps doubling from 5 us to the cap.
  ++spins_;
  if (spins_ <= 8) {
    std::this_thread::yield();
    return;
  }
  const int us = std::min(max_us_, 5 << std::min(spins_ - 9, 16));
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

}  // namespace seedline::distributed
