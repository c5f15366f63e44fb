// A fixed pool of worker threads running index ranges in parallel.
//
// parallel_for(n, fn) calls fn(i, worker) for every i in [0, n) across the workers and the
// calling thread, and returns when all are done. `worker` (0..size()-1) lets callers keep
// per-thread scratch (a policy, a genotype buffer) without locking. Which thread runs which
// index is not deterministic, so fn must write only to slot i. The first exception thrown by
// fn is rethrown in the caller after the remaining indices are skipped.
// One parallel_for at a time per pool (calls from several threads are serialized).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace seedline::runner {

class ThreadPool {
 public:
  // `threads` >= 1 workers in all, the calling thread counted as one of them.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void parallel_for(size_t n, const std::function<void(size_t index, int worker)>& fn);

 private:
  void work(int worker);
  void drain(int worker);

  std::mutex call_mu_;  // serializes parallel_for calls
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(size_t, int)>* fn_ = nullptr;  // guarded by mu_
  size_t n_ = 0, next_ = 0;                                // guarded by mu_
  int active_ = 0;                                         // guarded by mu_
  uint64_t epoch_ = 0;                                     // guarded by mu_
  bool stop_ = false;                                      // guarded by mu_
  std::exception_ptr error_;                               // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace seedline::runner
