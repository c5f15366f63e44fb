-- The current full seedline schema: what applying every file in migrations/ in order yields.
-- For reading; tests/store/schema_test.cpp keeps it equal to the migrations.
-- Schema version: 6

CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
);

CREATE TABLE experiments (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  spec       TEXT NOT NULL,          -- the experiment file as submitted, as canonical JSON
  created_at TEXT NOT NULL
);
CREATE INDEX experiments_by_name ON experiments(name);

CREATE TABLE conditions (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,    -- order in the experiment file
  name          TEXT NOT NULL,
  config        TEXT NOT NULL,       -- resolved network, representation, task and ga as JSON
  UNIQUE (experiment_id, name)
);

CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  condition_id  INTEGER NOT NULL REFERENCES conditions(id) ON DELETE CASCADE,
  trial         INTEGER NOT NULL,
  seed          INTEGER NOT NULL,    -- uint64 stored as its two's-complement int64
  noise_version INTEGER NOT NULL,
  state         TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'paused', 'finished', 'failed')),
  owner         TEXT,                -- the daemon holding the claim while running
  heartbeat     REAL,                -- unix seconds of the owner's last heartbeat
  message       TEXT,                -- why a run failed or paused
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  kernel_version INTEGER NOT NULL DEFAULT 1,  -- 0008: evaluation arithmetic (docs/kernels.md)
  UNIQUE (condition_id, trial)
);
CREATE INDEX runs_by_experiment ON runs(experiment_id);
CREATE INDEX runs_by_state ON runs(state);

-- One row per individual: a root's genotype is init(seed), a child's is its parent's plus
-- mutation(seed). An elite carried into a later generation stays the same row.
CREATE TABLE individuals (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  generation INTEGER NOT NULL,       -- birth generation
  parent_id  INTEGER REFERENCES individuals(id),
  seed       INTEGER NOT NULL,       -- uint64 stored as its two's-complement int64
  fitness    REAL,                   -- fitness measured in the birth generation
  checksum   INTEGER                 -- xxh64 of the genotype; set once it became a parent
);

-- Per-generation summary: curves and statistics read this, never individuals.
CREATE TABLE generations (
  run_id           INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  generation       INTEGER NOT NULL,
  first_individual INTEGER NOT NULL, -- id range of the individuals born in this generation
  last_individual  INTEGER NOT NULL,
  best             REAL NOT NULL,
  mean             REAL NOT NULL,
  median           REAL NOT NULL,
  std              REAL NOT NULL,
  best_individual  INTEGER NOT NULL REFERENCES individuals(id),
  parents          BLOB NOT NULL,    -- selected parent ids, best first, int64 little-endian;
                                     -- the first `elites` of them are carried unchanged
  evaluations      INTEGER NOT NULL, -- episodes (or function evaluations) this generation
  steps            INTEGER NOT NULL, -- environment steps this generation
  eval_seconds     REAL NOT NULL,
  total_seconds    REAL NOT NULL,
  PRIMARY KEY (run_id, generation)
) WITHOUT ROWID;

-- zstd-compressed genotypes (little-endian float32) of parents, every snapshot_every
-- generations and for each run's final best.
CREATE TABLE snapshots (
  individual_id INTEGER PRIMARY KEY REFERENCES individuals(id) ON DELETE CASCADE,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  codec         TEXT NOT NULL DEFAULT 'zstd',
  raw_bytes     INTEGER NOT NULL,
  checksum      INTEGER NOT NULL,    -- xxh64 of the uncompressed genotype bytes
  data          BLOB NOT NULL
);

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

-- The named metrics an external evaluator returned during a re-evaluation: per name, the mean
-- over the episodes that reported it (migrations/0009_reevaluation_metrics.sql).
CREATE TABLE reevaluation_metrics (
  reevaluation_id INTEGER NOT NULL REFERENCES reevaluations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,     -- as the evaluator named it (1-128 bytes of UTF-8)
  mean            REAL,              -- over the episodes that reported it; NULL when undefined (+inf and -inf)
  episodes        INTEGER NOT NULL,  -- episodes that reported it
  PRIMARY KEY (reevaluation_id, name)
) WITHOUT ROWID;

-- Per-stage records of every generation: evaluations, steps and wall seconds per stage
-- (migrations/0003_generation_stages.sql).
CREATE TABLE generation_stages (
  run_id      INTEGER NOT NULL,
  generation  INTEGER NOT NULL,
  stage       INTEGER NOT NULL,      -- index into the condition's ga.stages, from 0
  evaluations INTEGER NOT NULL,      -- episodes (or function evaluations) run in this stage
  steps       INTEGER NOT NULL,      -- environment steps taken in this stage
  seconds     REAL NOT NULL,         -- wall seconds the stage took
  PRIMARY KEY (run_id, generation, stage),
  FOREIGN KEY (run_id, generation) REFERENCES generations(run_id, generation) ON DELETE CASCADE
) WITHOUT ROWID;

-- Who evaluated a run of an `external` task: the command and the evaluator's reported name
-- and version, one row per evaluator the run used, from the generation it first evaluated
-- (docs/evaluator-protocol.md).
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

-- The optimizer state of evolution-strategy centers that have a snapshot (docs/es.md):
-- updates applied so far, and zstd of Adam's moments m then v (empty for SGD).
CREATE TABLE es_states (
  individual_id INTEGER PRIMARY KEY REFERENCES individuals(id) ON DELETE CASCADE,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step          INTEGER NOT NULL,
  codec         TEXT NOT NULL DEFAULT 'zstd',
  raw_bytes     INTEGER NOT NULL,
  checksum      INTEGER NOT NULL,
  data          BLOB NOT NULL
);

-- Named metrics an external evaluator returned, per run, generation and name: the best
-- member's value, mean, min, max and every member's value (migrations/0007_generation_metrics.sql).
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
