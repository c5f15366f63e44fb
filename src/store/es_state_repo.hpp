// The optimizer state of evolution-strategy centers (table es_states, migration 0005).
//
// An ES run keeps, beside the snapshot of a center's genotype, what its optimizer carries to
// the next update: the number of updates applied so far and, for Adam, the first and second
// moments (one float32 each per genotype value). They are stored as the little-endian bytes
// of m then v in one zstd frame (codec 'zstd'), with xxh64 of those raw bytes. This module
// stores and loads them; checking that a state belongs to the genome is the caller's
// (docs/es.md, "Lineage and the runner").
//
// Functions take the caller's Database and are as thread-safe as it is (one per thread).
// A damaged row (not a zstd frame, sizes that disagree, a checksum mismatch, an odd number of
// moment values) throws kCorruption naming the individual; an unknown codec kUnimplemented.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

struct EsStateRow {
  int64_t individual_id = 0;
  int64_t run_id = 0;
  int64_t step = 0;
  std::vector<float> m, v;  // both empty (SGD) or both of the genotype's size (Adam)
};

// Stores the optimizer state of center `individual_id`. Writing the same state again is a
// no-op (a resumed generation repeats its writes); a different one throws kFailedPrecondition.
void put_es_state(Database& db, const EsStateRow& state);

// The stored state of `individual_id`, or nullopt when it has none.
std::optional<EsStateRow> find_es_state(Database& db, int64_t individual_id);

}  // namespace seedline::store
