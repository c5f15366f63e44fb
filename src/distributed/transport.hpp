// Transport: point-to-point messages between the ranks of one distributed job, with the
// per-kind byte counters of the wire (wire.hpp). MpiTransport (mpi_transport.hpp) is the
// real one; the dealer and the worker loop see only this interface.
//
// Messages between one pair of ranks arrive in the order they were sent (MPI's
// non-overtaking rule, which MpiTransport keeps by receiving any tag from a source in order).
//
// Thread-safety: a Transport is used by one thread at a time per rank (MPI is initialised
// with MPI_THREAD_SERIALIZED); evaluation threads never touch it.
// Failure: send and receive throw seedline::Error kIOError when the transport fails, and
// kCorruption for a message with an unknown tag. A rank that dies ends the whole MPI job
// (Open MPI's default error handler), so a peer never waits forever on a dead rank.
#pragma once

#include <optional>

#include "distributed/wire.hpp"
#include "distributed/wire_counters.hpp"

namespace seedline::distributed {

inline constexpr int kAnySource = -1;

struct Envelope {
  int source = 0;
  MessageKind kind = MessageKind::kShutdown;
  Bytes payload;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Sends `payload` to `dest` as a message of `kind`; counts it. Blocks at most until the
  // payload is handed to the transport (small messages) or the receiver takes it (large ones).
  void send(int dest, MessageKind kind, const Bytes& payload);
  // The next message from `source` (kAnySource: any rank) if one has arrived; counts it.
  std::optional<Envelope> try_receive(int source = kAnySource);
  // Waits for the next message from `source`, polling with a growing pause (from a few
  // microseconds up to `max_pause_us`), so a waiting rank leaves the cores to its threads.
  Envelope receive(int source = kAnySource, int max_pause_us = 500);

  const WireCounters& counters() const { return counters_; }

 protected:
  virtual void raw_send(int dest, int tag, const Bytes& payload) = 0;
  virtual std::optional<Envelope> raw_try_receive(int source) = 0;

 private:
  WireCounters counters_;
};

// Sleeps a little longer on each call without progress, up to a cap; reset() after progress.
// Keeps a polling thread from spinning a core while it has nothing to do.
class Backoff {
 public:
  explicit Backoff(int max_pause_us = 500) : max_us_(max_pause_us) {}
  void pause();
  void reset() { spins_ = 0; }

 private:
  int max_us_;
  int spins_ = 0;
};

}  // namespace seedline::distributed
