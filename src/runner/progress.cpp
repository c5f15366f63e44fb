#include "runner/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace seedline::runner {
namespace {

std::string label_text(const RunLabel& r) {
  return "run " + std::to_string(r.run_id) + " " + r.experiment + "/" + r.condition + "#" + std::to_string(r.trial);
}

std::string number(double v) {
  char buf[32];
  if (std::isnan(v)) return "nan";
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 1e5 || (v != 0 && std::fabs(v) < 1e-3) ? "%.3g" : "%.2f", v);
  return buf;
}

// What both outputs show beyond the generation: the run's best so far, and the ETAs of the
// run and, when the daemon gave a plan, of its whole experiment. The experiment's ETA is its
// remaining generations times this process's mean seconds per generation since the plan.
class Tracker {
 public:
  void plan(const ExperimentPlan& p) { plan_ = p; }
  void started() {
    best_ = plan_ ? plan_->run_best : std::nullopt;
    since_ = std::chrono::steady_clock::now();
  }
  void generation(const GenerationReport& g) {
    if (!std::isnan(g.best)) best_ = best_ ? std::max(*best_, g.best) : g.best;
    const auto now = std::chrono::steady_clock::now();
    seconds_ += std::chrono::duration<double>(now - since_).count();
    since_ = now;
    ++generations_;
    if (plan_) ++plan_->generations_done;
  }
  // "best so far 487.5  12.3 eval/s  ETA run 0:42, experiment 6:10"
  std::string text(const GenerationReport& g) const {
    std::string out = "best so far " + (best_ ? number(*best_) : std::string("-")) + "  " +
                      number(g.evaluations_per_second) + " eval/s  ETA run " + format_duration(g.eta_seconds);
    if (plan_ && plan_->generations_total > 0 && generations_ > 0) {
      const double left = static_cast<double>(std::max<int64_t>(0, plan_->generations_total - plan_->generations_done));
      out += ", experiment " + format_duration(left * seconds_ / static_cast<double>(generations_)) + " (" +
             std::to_string(plan_->generations_done) + "/" + std::to_string(plan_->generations_total) + " gen)";
    }
    return out;
  }

 private:
  std::optional<ExperimentPlan> plan_;
  std::optional<double> best_;
  std::chrono::steady_clock::time_point since_{};
  double seconds_ = 0;
  int64_t generations_ = 0;
};

class TtyProgress final : public Progress {
 public:
  explicit TtyProgress(std::ostream& out) : out_(out) {}
  void plan(const ExperimentPlan& p) override { tracker_.plan(p); }
  void run_started(const RunLabel& run, int first_generation) override {
    tracker_.started();
    out_ << "\r\033[K" << label_text(run) << (first_generation > 0 ? " resuming at generation " : " starting at generation ")
         << first_generation << std::flush;
  }
  void generation(const RunLabel& run, const GenerationReport& g) override {
    tracker_.generation(g);
    constexpr int kWidth = 20;
    const int done = g.generation + 1;
    const int filled = run.generations > 0 ? std::min(kWidth, done * kWidth / run.generations) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    out_ << "\r\033[K" << label_text(run) << " [" << bar << "] " << done << "/" << run.generations << "  "
         << tracker_.text(g) << std::flush;
  }
  void run_ended(const RunLabel& run, const std::string& state, const std::string& message) override {
    out_ << "\r\033[K" << label_text(run) << ": " << state << (message.empty() ? "" : " (" + message + ")") << "\n"
         << std::flush;
  }
  // On a line of its own; the bar is redrawn below it at the next generation.
  void note(const RunLabel& run, const std::string& line) override {
    out_ << "\r\033[K" << label_text(run) << ": " << line << "\n" << std::flush;
  }

 private:
  std::ostream& out_;
  Tracker tracker_;
};

class LineProgress final : public Progress {
 public:
  LineProgress(std::ostream& out, std::chrono::milliseconds interval) : out_(out), interval_(interval) {}
  void plan(const ExperimentPlan& p) override { tracker_.plan(p); }
  void run_started(const RunLabel& run, int first_generation) override {
    tracker_.started();
    out_ << log_timestamp() << ' ' << label_text(run)
         << (first_generation > 0 ? ": resuming at generation " : ": starting at generation ") << first_generation
         << " (generations 0.." << run.generations - 1 << ")\n"
         << std::flush;
    last_ = std::chrono::steady_clock::now();
  }
  void generation(const RunLabel& run, const GenerationReport& g) override {
    tracker_.generation(g);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_ && g.generation + 1 < run.generations) return;
    last_ = now;
    out_ << log_timestamp() << ' ' << label_text(run) << ": generation " << g.generation << " committed ("
         << g.generation + 1 << "/" << run.generations << " done), " << tracker_.text(g) << "\n"
         << std::flush;
  }
  void run_ended(const RunLabel& run, const std::string& state, const std::string& message) override {
    out_ << log_timestamp() << ' ' << label_text(run) << ": " << state << (message.empty() ? "" : " (" + message + ")")
         << "\n"
         << std::flush;
  }
  void note(const RunLabel& run, const std::string& line) override {
    out_ << log_timestamp() << ' ' << label_text(run) << ": " << line << "\n" << std::flush;
  }

 private:
  std::ostream& out_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  Tracker tracker_;
};

class SilentProgress final : public Progress {
 public:
  void run_started(const RunLabel&, int) override {}
  void generation(const RunLabel&, const GenerationReport&) override {}
  void run_ended(const RunLabel&, const std::string&, const std::string&) override {}
};

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

std::string log_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::unique_ptr<Progress> make_progress(std::ostream& out, bool tty, std::chrono::milliseconds interval) {
  if (tty) return std::make_unique<TtyProgress>(out);
  return std::make_unique<LineProgress>(out, interval);
}

std::unique_ptr<Progress> make_silent_progress() { return std::make_unique<SilentProgress>(); }

}  // namespace seedline::runner
