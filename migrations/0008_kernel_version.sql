-- 0008: the evaluation arithmetic of a run is versioned like its noise (docs/kernels.md): a run
-- records the kernel version it was created with and is evaluated with that version's code for
-- its whole life. Runs made before this migration computed with version 1 (the code of the time),
-- hence the default.
ALTER TABLE runs ADD COLUMN kernel_version INTEGER NOT NULL DEFAULT 1;
