-- 0003: per-stage records of every generation (the paper's Figure 6: where the evaluations,
-- environment steps and wall time of a staged evaluation go). One row per (run, generation,
-- stage), written in the generation's commit transaction; over a generation's stages,
-- evaluations and steps sum to the generation row's. WITHOUT ROWID and integer columns keep
-- a row at a few bytes beside the key.
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
