#include "runner/progress.hpp"

#include <cmath>
#include <cstdio>

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

class TtyProgress final : public Progress {
 public:
  explicit TtyProgress(std::ostream& out) : out_(out) {}
  void run_started(const RunLabel& run, int first_generation) override {
    out_ << "\r\033[K" << label_text(run) << (first_generation > 0 ? " resuming at generation " : " starting at generation ")
         << first_generation << std::flush;
  }
  void generation(const RunLabel& run, const GenerationReport& g) override {
    constexpr int kWidth = 24;
    const int done = g.generation + 1;
    const int filled = run.generations > 0 ? done * kWidth / run.generations : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    out_ << "\r\033[K" << label_text(run) << " [" << bar << "] " << done << "/" << run.generations
         << "  best " << number(g.best) << "  " << number(g.evaluations_per_second) << " eval/s  ETA "
         << format_duration(g.eta_seconds) << std::flush;
  }
  void run_ended(const RunLabel& run, const std::string& state, const std::string& message) override {
    out_ << "\r\033[K" << label_text(run) << ": " << state << (message.empty() ? "" : " (" + message + ")") << "\n"
         << std::flush;
  }

 private:
  std::ostream& out_;
};

class LineProgress final : public Progress {
 public:
  LineProgress(std::ostream& out, std::chrono::milliseconds interval) : out_(out), interval_(interval) {}
  void run_started(const RunLabel& run, int first_generation) override {
    out_ << label_text(run) << (first_generation > 0 ? ": resuming at generation " : ": starting at generation ")
         << first_generation << " of " << run.generations << "\n" << std::flush;
    last_ = std::chrono::steady_clock::now();
  }
  void generation(const RunLabel& run, const GenerationReport& g) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_ && g.generation + 1 < run.generations) return;
    last_ = now;
    out_ << label_text(run) << ": generation " << g.generation + 1 << "/" << run.generations << " best "
         << number(g.best) << ", " << number(g.evaluations_per_second) << " eval/s, ETA "
         << format_duration(g.eta_seconds) << "\n" << std::flush;
  }
  void run_ended(const RunLabel& run, const std::string& state, const std::string& message) override {
    out_ << label_text(run) << ": " << state << (message.empty() ? "" : " (" + message + ")") << "\n" << std::flush;
  }

 private:
  std::ostream& out_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
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

std::unique_ptr<Progress> make_progress(std::ostream& out, bool tty, std::chrono::milliseconds interval) {
  if (tty) return std::make_unique<TtyProgress>(out);
  return std::make_unique<LineProgress>(out, interval);
}

std::unique_ptr<Progress> make_silent_progress() { return std::make_unique<SilentProgress>(); }

}  // namespace seedline::runner
