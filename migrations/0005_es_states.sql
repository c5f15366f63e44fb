-- 0005: the optimizer state of evolution-strategy centers (docs/es.md, "Lineage and the
-- runner"). An ES run's centers are individual rows; a center that has a snapshot of its
-- genotype also has its optimizer state here, written in the same transaction, so a rebuild
-- starts from both and replays at most `snapshot_every` updates. `step` counts the updates
-- applied so far; `data` is zstd of Adam's first then second moment (float32, little-endian,
-- one each per genotype value; empty for SGD); `checksum` is xxh64 of those raw bytes.
CREATE TABLE es_states (
  individual_id INTEGER PRIMARY KEY REFERENCES individuals(id) ON DELETE CASCADE,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step          INTEGER NOT NULL,
  codec         TEXT NOT NULL DEFAULT 'zstd',
  raw_bytes     INTEGER NOT NULL,
  checksum      INTEGER NOT NULL,
  data          BLOB NOT NULL
);
