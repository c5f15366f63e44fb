-- 0004: who evaluated a run of an `external` task (docs/evaluator-protocol.md): the command
-- and the evaluator's own name and version from its READY handshake, recorded when a daemon
-- first starts the run's evaluators. A resumed run compares them with what its evaluators
-- report now and warns when the version changed (its fitness history may then mix two
-- evaluators). One row per run; runs of built-in tasks have none.
CREATE TABLE run_evaluators (
  run_id      INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  command     TEXT NOT NULL,         -- the argv as a JSON list
  name        TEXT NOT NULL,         -- as the evaluator reported it
  version     TEXT NOT NULL,
  protocol    INTEGER NOT NULL,
  recorded_at TEXT NOT NULL
);
