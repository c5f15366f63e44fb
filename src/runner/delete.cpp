#include "runner/delete.hpp"

#include <algorithm>
#include <cmath>

#include "runner/retry.hpp"
#include "store/experiment_repo.hpp"
#include "util/error.hpp"

namespace seedline::runner {

std::vector<HeldRun> held_runs(store::Database& db, int64_t experiment_id, double stale_after, double now) {
  std::vector<HeldRun> out;
  for (const auto& run : store::list_runs(db, experiment_id)) {
    if (run.state != store::RunState::kRunning) continue;
    const std::string owner = run.owner.value_or("");
    const bool stale = !run.heartbeat || *run.heartbeat < now - stale_after;
    if (owner.empty() || stale || owner_is_gone(owner)) continue;
    out.push_back({run.id, owner, std::max(0.0, now - *run.heartbeat)});
  }
  return out;
}

std::string describe_held(const std::vector<HeldRun>& held) {
  std::string out;
  for (const auto& h : held) {
    out += (out.empty() ? "" : ", ") + ("run " + std::to_string(h.run_id) + " (held by " + h.owner + ", heartbeat " +
                                        std::to_string(static_cast<int64_t>(std::lround(h.heartbeat_age))) + " s ago)");
  }
  return out;
}

store::ExperimentRowCounts delete_experiment(store::Database& db, int64_t experiment_id, double stale_after,
                                             double now) {
  return store::delete_experiment(db, experiment_id, [&] {
    const auto held = held_runs(db, experiment_id, stale_after, now);
    if (held.empty()) return;
    fail(ErrorCode::kFailedPrecondition,
         "experiment " + std::to_string(experiment_id) + " is in use: a live daemon holds " + describe_held(held) +
             "; nothing was removed. Stop that daemon (Ctrl-C or SIGTERM pauses its runs) and delete again; a run "
             "whose daemon died stops blocking once its process is gone or its heartbeat is " +
             std::to_string(static_cast<int64_t>(std::lround(stale_after))) + " s old (--stale-after)");
  });
}

}  // namespace seedline::runner
