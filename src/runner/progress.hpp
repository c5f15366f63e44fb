// Progress output for long runs: a live bar per run on a terminal, plain periodic lines
// otherwise (logs, CI), each line starting with a UTC timestamp. Not thread-safe: the runner
// reports from one thread.
//
// Generations are numbered from 0 everywhere, as they are stored: "generation 12" is the
// 13th; counts of generations done are written "13/50".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
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

// Where the claimed run's experiment stands when the run starts (see Progress::plan).
struct ExperimentPlan {
  int64_t generations_done = 0;        // committed over all of the experiment's runs
  int64_t generations_total = 0;       // configured over all of them
  std::optional<double> run_best;      // the run's best fitness so far (a resumed run has one)
};

class Progress {
 public:
  virtual ~Progress() = default;
  // Called by the daemon before run_started: lets the bar show the run's best so far and an
  // ETA for the whole experiment (its remaining generations at this process's measured
  // seconds per generation). Without it only the run's own ETA is shown.
  virtual void plan(const ExperimentPlan&) {}
  virtual void run_started(const RunLabel& run, int first_generation) = 0;
  virtual void generation(const RunLabel& run, const GenerationReport& report) = 0;
  virtual void run_ended(const RunLabel& run, const std::string& state, const std::string& message) = 0;
  // A line about the run that is not progress (the evaluator's identity, a warning), for
  // runs driven without a log (`seedline run`). Default: printed nowhere.
  virtual void note(const RunLabel&, const std::string&) {}
};

// A bar redrawn in place when `tty`, else a line at most every `interval` (and at start/end).
std::unique_ptr<Progress> make_progress(std::ostream& out, bool tty,
                                        std::chrono::milliseconds interval = std::chrono::seconds(5));
// Prints nothing.
std::unique_ptr<Progress> make_silent_progress();

// "1:02:03" / "2:03" / "5s".
std::string format_duration(double seconds);

// The current UTC time as "2026-11-30T20:31:05Z": the prefix of every daemon log line.
std::string log_timestamp();

}  // namespace seedline::runner
