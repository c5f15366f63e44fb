-- 0009: the named metrics an external evaluator returned while `seedline evaluate`
-- re-measured an individual (docs/evaluator-protocol.md, RESULT), beside the re-evaluation
-- they belong to: per metric name, the mean over the episodes that reported it and how many
-- did. Built-in tasks report none and have no rows.
CREATE TABLE reevaluation_metrics (
  reevaluation_id INTEGER NOT NULL REFERENCES reevaluations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,     -- as the evaluator named it (1-128 bytes of UTF-8)
  mean            REAL,              -- over the episodes that reported it; NULL when undefined (+inf and -inf)
  episodes        INTEGER NOT NULL,  -- episodes that reported it
  PRIMARY KEY (reevaluation_id, name)
) WITHOUT ROWID;
