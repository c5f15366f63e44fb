#include "runner/retry.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "store/run_repo.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

std::string this_host() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

}  // namespace

bool owner_is_gone(const std::string& owner) {
  const auto nonce = owner.rfind(':');
  if (nonce == std::string::npos || nonce == 0) return false;
  const auto pid_at = owner.rfind(':', nonce - 1);
  if (pid_at == std::string::npos) return false;
  if (owner.substr(0, pid_at) != this_host()) return false;
  const std::string digits = owner.substr(pid_at + 1, nonce - pid_at - 1);
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  const pid_t pid = static_cast<pid_t>(std::stol(digits));
  if (pid <= 0) return false;
  // ESRCH: no such process. EPERM means it exists (another user's): alive.
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

std::vector<RetriedRun> retry_runs(store::Database& db, int64_t experiment_id, std::optional<int64_t> run,
                                   double stale_after, double now) {
  const auto runs = store::run_summaries(db, experiment_id);
  if (run) {
    bool found = false;
    for (const auto& r : runs) found = found || r.run.id == *run;
    if (!found) {
      std::string ids;
      for (const auto& r : runs) ids += (ids.empty() ? "" : ", ") + std::to_string(r.run.id);
      not_found("run " + std::to_string(*run) + " is not a run of experiment " + std::to_string(experiment_id) +
                " (its runs: " + (ids.empty() ? std::string("none") : ids) + ")");
    }
  }
  std::vector<RetriedRun> out;
  for (const auto& r : runs) {
    if (run && r.run.id != *run) continue;
    RetriedRun one;
    one.before = r;
    const std::string resumes = "retried: resumes from generation " + std::to_string(r.last_generation + 1);
    switch (r.run.state) {
      case store::RunState::kFinished: one.kind = RetryKind::kFinished; break;
      case store::RunState::kQueued:
      case store::RunState::kPaused:
        one.kind = RetryKind::kResumable;
        one.why = r.run.message.value_or("");
        break;
      case store::RunState::kFailed:
        one.why = r.run.message.value_or("failed");
        one.kind = store::requeue_run(db, r.run, resumes) ? RetryKind::kRequeued : RetryKind::kLive;
        if (one.kind == RetryKind::kLive) one.why = "a daemon claimed it meanwhile";
        break;
      case store::RunState::kRunning: {
        const std::string owner = r.run.owner.value_or("");
        const bool gone = owner_is_gone(owner);
        const bool stale = !r.run.heartbeat || *r.run.heartbeat < now - stale_after;
        if ((gone || stale) && store::requeue_run(db, r.run, resumes)) {
          one.kind = RetryKind::kRequeued;
          one.why = gone ? "its daemon " + owner + " is gone" : "its daemon " + owner + " stopped heartbeating";
        } else {
          one.kind = RetryKind::kLive;
          one.why = "held by the live daemon " + owner;
        }
        break;
      }
    }
    out.push_back(std::move(one));
  }
  return out;
}

}  // namespace seedline::runner
