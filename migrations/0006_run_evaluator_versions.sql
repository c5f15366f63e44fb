-- 0006: every evaluator version a run used, not only the first (docs/evaluator-protocol.md).
-- A run resumed with another evaluator (a new version, name or command) gets a row saying
-- from which generation on that evaluator evaluated it, so a fitness history that mixes two
-- evaluators says where. Replaces 0004's run_evaluators (one row per run, the first
-- evaluator), whose rows become generation 0: they were recorded when a run's evaluators
-- first started, at its first generation.
CREATE TABLE run_evaluator_versions (
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  generation  INTEGER NOT NULL,      -- the first generation this evaluator evaluated
  command     TEXT NOT NULL,         -- the argv as a JSON list
  name        TEXT NOT NULL,         -- as the evaluator reported it
  version     TEXT NOT NULL,
  protocol    INTEGER NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (run_id, generation)
);
INSERT INTO run_evaluator_versions(run_id, generation, command, name, version, protocol, recorded_at)
  SELECT run_id, 0, command, name, version, protocol, recorded_at FROM run_evaluators;
DROP TABLE run_evaluators;
