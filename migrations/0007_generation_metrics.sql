-- 0007: the named metrics an external evaluator returns beside the reward
-- (docs/evaluator-protocol.md, RESULT), per run, generation and metric name. A member's value
-- is the mean over the episodes it played this generation that reported the metric (the
-- episodes its fitness averages); the row keeps the generation's summary (the best member's
-- value, mean, min and max over the members that reported it) and every member's value as
-- little-endian float64 in population order (NaN: the member reported no value), so the
-- storage stays at 8 bytes per member and metric beside one small row per generation.
-- Written in the generation's commit transaction; runs whose evaluator reports no metrics
-- (and every built-in task) have no rows.
CREATE TABLE generation_metrics (
  run_id      INTEGER NOT NULL,
  generation  INTEGER NOT NULL,
  name        TEXT NOT NULL,         -- as the evaluator named it (1-128 bytes of UTF-8)
  best        REAL,                  -- the generation's best member's value; NULL when it reported none
  mean        REAL,                  -- over the members that reported it; NULL when undefined (+inf and -inf)
  min         REAL,
  max         REAL,
  members     INTEGER NOT NULL,      -- members that reported it
  member_values BLOB NOT NULL,       -- float64 LE per population member, NaN for none
  PRIMARY KEY (run_id, generation, name),
  FOREIGN KEY (run_id, generation) REFERENCES generations(run_id, generation) ON DELETE CASCADE
) WITHOUT ROWID;
