// The worker loop: what every rank but 0 runs in a distributed job. It answers rank 0's
// hello, hands the run messages (start, genotypes, selection, end) to a WorkerHandler, and
// streams work: batches dealt by rank 0 queue up locally, an evaluation thread hands them to
// the handler one batch at a time (the handler spreads a batch over its own threads), and
// finished results go back as soon as the loop sees them, which is what lets rank 0 deal
// this rank more while it works on the next queued batch.
//
// Ordering: rank 0 sends a selection or a run's end only after every item it dealt has come
// back, so the handler's run state never changes under a batch in flight (checked: a
// control message while items are out is an internal error).
//
// Thread-safety: serve_worker owns the calling thread (the one that calls MPI) until rank 0
// says shutdown; WorkerHandler::evaluate runs on the loop's evaluation thread, the other
// handler methods on the calling thread while no batch is in flight; never two at once.
// Failure: a batch whose evaluate throws is answered with one kFailure for all its items,
// carrying the error's code and message; a control message whose handler throws (a bad
// config, a genotype whose checksum does not match) makes every item of that run fail with
// that message until the run's end, so rank 0 fails the run, not the job. A message that
// cannot be decoded, or one out of protocol, throws from serve_worker (the caller then ends
// the job).
#pragma once

#include <cstdint>
#include <span>

#include "distributed/transport.hpp"

namespace seedline::distributed {

class WorkerHandler {
 public:
  virtual ~WorkerHandler() = default;
  // Threads this rank evaluates with (reported to rank 0, which sizes its batches by it).
  virtual int threads() const = 0;
  virtual void start_run(const RunStart& start) = 0;
  virtual void add_genotype(Genotype genotype) = 0;
  // An ES run resuming mid-way: its center's optimizer state (after its genotype). Handlers
  // that run no ES refuse it.
  virtual void add_es_state(EsState state);
  // An ES generation boundary. Handlers that run no ES refuse it.
  virtual void update_center(const CenterUpdate& update);
  virtual void select(const Selection& selection) = 0;
  // Evaluates a batch: results[i] for items[i] (the loop sets the indices).
  virtual void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) = 0;
  virtual void end_run(int64_t run_id) = 0;
};

struct WorkerReport {
  int64_t items = 0;     // evaluated and returned
  int64_t failures = 0;  // answered with kFailure
};

// Serves rank 0 until it says shutdown. `max_pause_us` caps the wait between polls.
WorkerReport serve_worker(Transport& transport, WorkerHandler& handler, int max_pause_us = 200);

}  // namespace seedline::distributed
