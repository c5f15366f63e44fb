// Base weights for a pretrained starting point: the file a condition's `"init": {"from":
// PATH}` names (docs/genome.md, "Pretrained starting points").
//
// At submission record_init_file() resolves the path (relative paths against the current
// directory, like the language model task's data file) and records the file's size and xxh64 in the
// condition, which is stored with the experiment. Every later use of the run (the runner at
// start and on resume, `seedline genome`, `seedline evaluate`, the HTTP genome download) goes
// through load_init_file(), which reads the file once, checks both values and refuses a file
// that changed, so a run never continues from different weights.
//
// Thread-safety: pure functions (they read the file system); safe from any thread.
// Failure: seedline::Error naming the file: kNotFound for a missing file (with the recorded
// size and hash), kFailedPrecondition for a changed one (recorded and actual values),
// kInvalidArgument for a malformed safetensors file, kIOError for a read error.
#pragma once

#include "evolve/experiment.hpp"
#include "genome/safetensors.hpp"

namespace seedline::genome {

// Reads the file, checks it parses, and fills init.from (absolute), init.bytes and init.xxh64.
// A spec that already records bytes/xxh64 is checked against them instead (like load).
void record_init_file(evolve::InitSpec& init);

// Reads and parses the file, refusing it when its size or xxh64 differ from the record.
SafetensorsFile load_init_file(const evolve::InitSpec& init);

}  // namespace seedline::genome
