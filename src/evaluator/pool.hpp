// EvaluatorPool: up to `workers` long-lived evaluator processes that turn work items (one
// individual's one episode) into rewards, steps and named metrics.
//
// No more processes run than there is work for: start() starts min(workers, expected_items)
// of them and a batch of n items starts more only up to min(workers, n), so `workers: 200`
// for a population of 16 runs 16 processes.
//
// Each worker has its own SharedWeights region. To evaluate an item the pool copies the
// item's weights into the worker's region (skipped when the worker already holds that
// member's weights) and sends one EVAL frame; the worker answers RESULT or ERROR. Items go
// to idle workers in order (a worker prefers a pending item of the member it holds), so the
// order of replies varies, but every result lands in its item's slot.
//
// Faults (docs/evaluator-protocol.md):
//   - a worker that dies, closes the connection, sends a malformed frame, or does not answer
//     within `timeout` is killed (its whole process group) and restarted; its item is retried
//     up to `retries` more times, then evaluate() throws;
//   - a worker that fails its handshake (exits at start, wrong protocol, no READY within
//     `startup_timeout`) is restarted up to `retries` times, then the pool throws; but
//     while no worker of the pool has ever sent READY, the first such failure throws at
//     once (an evaluator that cannot start at all is not started again and again);
//   - an ERROR reply, a NaN reward or negative steps is the evaluator's own verdict on the
//     item and is not retried: evaluate() throws at once.
// Every message names the item (through `describe`: the individual, episode and seed), the
// worker, its pid and command, and ends with the worker's last stdout/stderr lines.
//
// Thread-safety: none; one thread at a time (any thread: processes are started on the
// pool's own Launcher thread, which lives as long as the pool). The destructor stops every worker (end of file on its socket, a short
// grace period, then SIGKILL to its process group) and reaps it, so no process outlives
// the pool. `tick` is called at least every 50 ms while the pool waits; whatever it throws
// (a stop request) leaves evaluate() after killing the workers that were busy.
// Failure: seedline::Error kFailedPrecondition for evaluator faults, kNotFound when the
// command's program does not exist, kIOError when the OS refuses a process or shared memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "evaluator/launcher.hpp"
#include "evaluator/protocol.hpp"

namespace seedline::evaluator {

struct PoolOptions {
  std::vector<std::string> command;  // argv of the evaluator; argv[0] looked up in PATH
  int workers = 1;                   // processes at most. Default: 1.
  // Items of one batch the caller expects (its population times episodes), 0 when unknown:
  // start() starts min(workers, expected_items) workers (all `workers` for 0).
  int expected_items = 0;
  double timeout = 60;               // seconds an item may take. Default: 60.
  double startup_timeout = 60;       // seconds from start to READY. Default: 60.
  int retries = 2;                   // extra attempts of an item (and starts of a worker). Default: 2.
  size_t weights_bytes = 0;          // size of one individual's phenotype in bytes
  // The HELLO frame's JSON without the per-worker fields ("worker", "weights.fd"), which the
  // pool adds: protocol, seedline version, weights layout, network, task (see make_hello).
  nlohmann::json hello;
};

// What the evaluator said about itself in its READY frame.
struct EvaluatorIdentity {
  std::string name;
  std::string version;
  uint32_t protocol = 0;
};

struct Item {
  int member = 0;            // population index; weights(member) gives its phenotype
  int episode = 0;           // episode index within the stage
  uint64_t episode_seed = 0;
};

struct ItemResult {
  double reward = 0;
  int64_t steps = 0;
  std::vector<std::pair<std::string, double>> metrics;
};

class EvaluatorPool {
 public:
  explicit EvaluatorPool(PoolOptions options);
  ~EvaluatorPool();
  EvaluatorPool(const EvaluatorPool&) = delete;
  EvaluatorPool& operator=(const EvaluatorPool&) = delete;

  // Starts the workers the expected batch needs (PoolOptions::expected_items) and waits for
  // their handshakes. Called by evaluate() if needed.
  void start(const std::function<void()>& tick);
  // Valid after start(): the identity every worker reported (they must agree).
  const EvaluatorIdentity& identity() const { return identity_; }

  // Evaluates `items`; the result i belongs to items[i]. `describe(i)` names item i in
  // messages (an error about an item starts with it, e.g. "member 5 (child of individual 42,
  // seed 7), stage 0, episode 1: external evaluator worker 1 (pid 4242, python3 env.py): ...").
  std::vector<ItemResult> evaluate(std::span<const Item> items,
                                   const std::function<std::span<const float>(int member)>& weights,
                                   const std::function<std::string(size_t item)>& describe,
                                   const std::function<void()>& tick);

  // Stops all workers now (also done by the destructor).
  void shutdown();

  // Worker restarts so far (crash, hang, garbage), for reports and tests.
  int restarts() const { return restarts_; }
  // Workers in use (started at least once): never more than the largest batch needed.
  int active_workers() const { return active_; }

 private:
  struct Worker;
  struct Batch;
  void spawn(Worker& w);
  void pump(Batch* batch, const std::function<void()>& tick);
  void on_frame(Worker& w, const Frame& frame, Batch* batch);
  void on_failure(Worker& w, const std::string& what, Batch* batch);
  void dispatch(Worker& w, Batch& batch);
  [[noreturn]] void fatal(Worker& w, const std::string& what, const Batch* batch, const std::string& tail);
  std::string worker_name(const Worker& w) const;

  PoolOptions options_;
  Launcher launcher_;    // declared before the workers: it outlives them
  std::string program_;  // resolved argv[0]
  std::vector<std::unique_ptr<Worker>> workers_;
  EvaluatorIdentity identity_;
  bool identified_ = false;
  int restarts_ = 0;
  int active_ = 0;  // workers_[0, active_) are in use; the others are never started
};

// The HELLO JSON for PoolOptions::hello: {"protocol", "seedline", "weights": {"bytes",
// "tensors": [{"name", "shape", "offset"}]}, "network", "observation_shape", "actions", "task"}.
nlohmann::json make_hello(const std::vector<std::pair<std::string, std::vector<int64_t>>>& tensors,
                          const nlohmann::json& network, const nlohmann::json& task_spec);

}  // namespace seedline::evaluator
