// Progress output for long runs: a live bar per run on a terminal, plain periodic lines
// otherwise (logs, CI). Not thread-safe: the runner reports from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

namespace seedline::runner {

struct RunLabel {
  int64_t run_id = 0;
  std::string experiment;
  std::string condition;
  int trial = 0;
  int generations = 0;
};

struct GenerationReport {
  int generation = 0;          // just committed
  double best = 0;             // best fitness of this generation
  double evaluations_per_second = 0;
  int64_t steps = 0;           // environment steps this generation
  double eta_seconds = 0;      // for the rest of the run
};

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void run_started(const RunLabel& run, int first_generation) = 0;
  virtual void generation(const RunLabel& run, const GenerationReport& report) = 0;
  virtual void run_ended(const RunLabel& run, const std::string& state, const std::string& message) = 0;
};

// A bar redrawn in place when `tty`, else a line at most every `interval` (and at start/end).
std::unique_ptr<Progress> make_progress(std::ostream& out, bool tty,
                                        std::chrono::milliseconds interval = std::chrono::seconds(5));
// Prints nothing.
std::unique_ptr<Progress> make_silent_progress();

// "1:02:03" / "2:03" / "5s".
std::string format_duration(double seconds);

}  // namespace seedline::runner
