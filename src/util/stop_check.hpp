// A per-thread cooperative stop check for long computations whose interfaces take no
// callback: an episode of a built-in task, the forward pass of a long sequence.
//
// The code that may be asked to stop (the runner's executor, around one work item) installs
// a check on its thread with a StopCheckScope; the long computation calls poll_stop() every
// so often (every N steps of an episode), which runs the installed check. The check stops
// the work by throwing (the runner's RunInterrupted), so the computation unwinds from
// wherever it is and its partial result is never used. Without a scope poll_stop() does
// nothing, so `evaluate`, the tests and the benchmarks run the same code unchanged.
// Nothing here touches the computation's arithmetic: polling only decides whether to go on.
//
// Thread-safety: the installed check is thread_local; a scope must end on the thread that
// made it (it is a stack object). The check itself must be safe to call from that thread.
#pragma once

#include <functional>

namespace seedline {

class StopCheckScope {
 public:
  // Installs `check` (kept by reference: it must outlive the scope) on this thread until the
  // scope ends; the previous check, if any, comes back then.
  explicit StopCheckScope(const std::function<void()>& check);
  ~StopCheckScope();
  StopCheckScope(const StopCheckScope&) = delete;
  StopCheckScope& operator=(const StopCheckScope&) = delete;

 private:
  const std::function<void()>* previous_;
};

// Runs this thread's installed check (which may throw); nothing when none is installed.
void poll_stop();

}  // namespace seedline
