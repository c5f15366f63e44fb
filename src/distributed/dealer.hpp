// The dealer: rank 0's side of a distributed job. It greets the workers, sends them each
// run's start, selections and end, and deals a stage's work items dynamically: every worker
// holds at most items_per_thread x its threads items at once, in batches of half that (a
// worker evaluates one batch while the next waits), and gets more as its results come back,
// so a rank that finishes early takes more. Batches end at a member's last item, so a
// member's episodes stay on one rank (its network is built once). Rank 0 may evaluate items
// on its own threads too (LocalEvaluation), taking chunks from the same list.
//
// Results come back as (item, reward, steps) and are returned in item order, so what a
// stage computes does not depend on which rank or thread evaluated which item, nor on N.
//
// Thread-safety: a Dealer and its Transport are used from one thread at a time (the one
// that calls MPI: MPI_THREAD_SERIALIZED); evaluate() runs LocalEvaluation::evaluate on a
// helper thread meanwhile, and halted() may be read from any thread.
// Failure: the constructor throws kFailedPrecondition when a worker runs another wire or
// seedline version (naming the rank and both versions). evaluate() stops dealing on the
// first failed item (a worker's kFailure or a local exception) or when `interrupted`
// returns true, waits for the items still out (so every rank is idle again), then throws:
// the local exception itself, seedline::Error kFailedPrecondition "rank R (host): message"
// for a worker's failure, or runner::RunInterrupted.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "distributed/transport.hpp"

namespace seedline::distributed {

struct WorkerInfo {
  int rank = 0;
  int threads = 1;
  std::string host;
};

struct DealerOptions {
  // Items a worker may hold per thread of it. Default: 8 (see docs/distributed.md).
  int items_per_thread = 8;
  // The longest pause between polls while waiting for results, in microseconds. Default: 200.
  int max_pause_us = 200;
};

// Rank 0's own share of the work: chunks of about items_per_thread / 2 x `threads` items,
// evaluated one chunk at a time on a helper thread (results[i] for items[i]).
struct LocalEvaluation {
  int threads = 1;
  std::function<void(std::span<const WorkItem> items, std::span<ItemResult> results)> evaluate;
};

class Dealer {
 public:
  // Says hello to every other rank of `transport` and waits for their replies.
  Dealer(Transport& transport, DealerOptions options = {});
  Dealer(const Dealer&) = delete;
  Dealer& operator=(const Dealer&) = delete;

  const std::vector<WorkerInfo>& workers() const { return workers_; }
  Transport& transport() { return transport_; }

  // To every worker: the run starts; then, for a resumed run, each parent's genotype once.
  // `es_state`: an ES run resuming mid-way sends its center's optimizer state after it.
  void start_run(const RunStart& start, std::span<const Genotype> parents, const EsState* es_state = nullptr);
  void update_center(const CenterUpdate& update);
  void select(const Selection& selection);
  void end_run(int64_t run_id);
  // Tells every worker to leave; the Dealer must not be used afterwards.
  void shutdown();

  // Evaluates `items` (their `index` fields are ignored: item i is the i-th) over the
  // workers and `local` (null: rank 0 only deals). `tick` (may be empty) runs on this thread
  // between polls, e.g. to heartbeat; `interrupted` (may be empty) is polled there too.
  // Returns one result per item, in item order.
  std::vector<ItemResult> evaluate(std::span<const WorkItem> items, const LocalEvaluation* local,
                                   const std::function<void()>& tick = {},
                                   const std::function<bool()>& interrupted = {});

  // True while an evaluate() is winding down after a failure or a stop (a local evaluator
  // may poll it to stop early). Any thread.
  bool halted() const { return halted_.load(); }

 private:
  class Stage;
  void broadcast(MessageKind kind, const Bytes& payload);

  Transport& transport_;
  DealerOptions options_;
  std::vector<WorkerInfo> workers_;  // ranks 1..size-1 in order
  std::atomic<bool> halted_{false};
};

}  // namespace seedline::distributed
