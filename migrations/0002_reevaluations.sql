-- 0002: re-measurements of stored individuals on fresh episodes (`seedline evaluate`).
-- A run's stored best fitness is the maximum of noisy estimates and so biased upward; a
-- re-evaluation is an unbiased estimate of the same individual, kept beside it.
CREATE TABLE reevaluations (
  id            INTEGER PRIMARY KEY,
  individual_id INTEGER NOT NULL REFERENCES individuals(id) ON DELETE CASCADE,
  seed          INTEGER NOT NULL,    -- --seed the episode seeds derive from (uint64 as int64)
  episodes      INTEGER NOT NULL,    -- episodes run (function tasks: 1, they are deterministic)
  mean          REAL NOT NULL,       -- mean reward over the episodes
  std           REAL,                -- sample std (ddof 1); NULL for one episode
  ci_low        REAL,                -- 95% Student-t CI of the mean; NULL for one episode
  ci_high       REAL,
  steps         INTEGER NOT NULL,    -- environment steps over all episodes
  created_at    TEXT NOT NULL
);
CREATE INDEX reevaluations_by_individual ON reevaluations(individual_id);
