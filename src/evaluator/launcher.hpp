// Launcher: one long-lived thread on which evaluator processes are started.
//
// Linux delivers PR_SET_PDEATHSIG when the *thread* that forked a child exits, not when the
// process does. The evaluator pool may be driven from short-lived threads (a helper thread
// per generation while the coordinator heartbeats), so every fork goes through the
// launcher's thread, which lives as long as the pool: the evaluators die with seedline, and
// not with the thread that happened to restart them.
//
// Thread-safety: run() may be called from any thread; calls are serialized.
// Failure: whatever the job throws is rethrown in the caller.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace seedline::evaluator {

class Launcher {
 public:
  Launcher();
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Runs `job` on the launcher's thread and waits for it.
  void run(const std::function<void()>& job);

 private:
  void loop();

  std::mutex call_mu_;  // one run() at a time
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* job_ = nullptr;  // guarded by mu_
  bool done_ = false;                           // guarded by mu_
  bool stop_ = false;                           // guarded by mu_
  std::exception_ptr error_;                    // guarded by mu_
  std::thread thread_;
};

}  // namespace seedline::evaluator
