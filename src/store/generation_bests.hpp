// Which individual scored each committed generation's best, and with what fitness, without
// the rest of the generation row (its parents list). An elite carried into later generations
// is re-evaluated there, so the best of a generation can be an individual born earlier, with
// a fitness other than its birth fitness: `seedline lineage` and GET /api/individuals/{id}
// show those beside the birth fitness.
//
// As thread-safe as the Database passed in (one per thread); throws on a SQLite failure.
#pragma once

#include <cstdint>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

struct GenerationBest {
  int generation = 0;
  int64_t individual = 0;
  double fitness = 0;
};

// The run's committed generations in order.
std::vector<GenerationBest> generation_bests(Database& db, int64_t run_id);

}  // namespace seedline::store
