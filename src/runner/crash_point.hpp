// Test-only crash points: SEEDLINE_CRASH_AT makes the runner kill its own process with
// SIGKILL at a chosen moment, so tests can prove resume equivalence at moments a timer
// could not hit reliably. Values (one per process):
//   evaluate:G   during generation G's evaluation (after its first stage)
//   commit:G     inside generation G's commit transaction, after its rows were written and
//                before COMMIT (the transaction must roll back as a whole)
//   committed:G  right after generation G committed (for the last generation: before the
//                run is marked finished)
// The first run of the process to reach the point dies there. Unset (the normal case), the
// check is one integer comparison. Not for users: nothing is lost, but the run stays
// "running" until its heartbeat is stale.
//
// Thread-safety: read once at first use; safe from any thread.
// Failure: a malformed value is ignored with a warning on stderr.
#pragma once

#include <string_view>

namespace seedline::runner {

enum class CrashPoint { kEvaluate, kCommit, kCommitted };

// Kills the process with SIGKILL when SEEDLINE_CRASH_AT names this point and generation.
void maybe_crash(CrashPoint point, int generation);

}  // namespace seedline::runner
