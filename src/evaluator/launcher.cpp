#include "evaluator/launcher.hpp"

namespace seedline::evaluator {

Launcher::Launcher() : thread_([this] { loop(); }) {}

Launcher::~Launcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Launcher::run(const std::function<void()>& job) {
  std::lock_guard call(call_mu_);
  std::unique_lock lock(mu_);
  job_ = &job;
  done_ = false;
  error_ = nullptr;
  cv_.notify_all();
  cv_.wait(lock, [this] { return done_; });
  if (error_) std::rethrow_exception(error_);
}

void Launcher::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || job_ != nullptr; });
    if (job_ == nullptr) return;  // stop requested and nothing to do
    const std::function<void()>* job = job_;
    job_ = nullptr;
    lock.unlock();
    std::exception_ptr error;
    try {
      (*job)();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    error_ = error;
    done_ = true;
    cv_.notify_all();
  }
}

}  // namespace seedline::evaluator
