// Helpers for tests that run the daemon in process and stop it mid-evaluation
// (stop_latency_test.cpp, lm_stop_test.cpp): submitting an experiment text, reading a run's
// last committed generation, and the two ways those tests stop a daemon (after a fixed time,
// measuring how long the stop took; or just after the first commit).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "evolve/experiment.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"

namespace seedline::runner::testing {

inline store::Database submitted(const std::filesystem::path& path, const std::string& text,
                                 const std::string& file_name = "test.json") {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  submit_experiment(db, evolve::parse_experiment(text, file_name), file_name);
  return db;
}

// The last committed generation of run 1, or -1 before its first commit.
inline int last_generation(const std::filesystem::path& path) {
  auto db = store::open_database(path, store::OpenPurpose::kRead);
  const auto last = store::last_generation(db, 1);
  return last ? last->generation : -1;
}

// `daemon --once --threads 2`.
inline DaemonOptions two_threads_once() {
  DaemonOptions options;
  options.threads = 2;
  options.once = true;
  return options;
}

// Lets the daemon run for `running`, then sets `stop`. Returns the seconds until it returned,
// or nothing when it had ended before the stop or did not end within `limit`.
inline std::optional<double> stop_latency(std::future<DaemonReport>& daemon, std::atomic<bool>& stop,
                                          std::chrono::milliseconds running, std::chrono::seconds limit) {
  if (daemon.wait_for(running) != std::future_status::timeout) return std::nullopt;
  const auto asked = std::chrono::steady_clock::now();
  stop = true;
  if (daemon.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
}

// Sets `stop` `after` the run's first commit (or when the daemon has ended).
inline void stop_after_first_commit(const std::filesystem::path& path, std::future<DaemonReport>& daemon,
                                    std::atomic<bool>& stop, std::chrono::milliseconds after) {
  while (last_generation(path) < 0 &&
         daemon.wait_for(std::chrono::milliseconds(5)) == std::future_status::timeout) {
  }
  std::this_thread::sleep_for(after);
  stop = true;
}

}  // namespace seedline::runner::testing
