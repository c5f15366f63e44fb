// Evolution strategies: an ES run's individuals as a lineage, and their rebuild.
//
// An ES run stores (docs/es.md, "Lineage and the runner"):
//   - center 0: a root row (seed es::center_seed(run seed)), genotype init(seed);
//   - for every generation g: the members as rows born in g whose parent is center g, in
//     member order, each with its perturbation seed and its fitness; with antithetic sampling
//     members 2p and 2p+1 share a seed and have signs + and - (the sign is the parity of the
//     member's place among its center's generation-g children, not a stored column);
//   - center g+1: a row born in generation g+1 whose parent is center g, seed 0, no fitness,
//     with its genotype checksum; every `snapshot_every` generations and at the end also a
//     snapshot of its genotype and its optimizer state (store/es_state_repo.hpp).
// So center g+1 = update(center g, generation g's member seeds and stored fitnesses,
// optimizer state g), and a member = its center + sign * sigma * eps(seed).
//
// rebuild_center walks up to the nearest center with a snapshot (or center 0) and replays
// the updates down, verifying every stored checksum on the way; a member is rebuilt from its
// center. The update's arithmetic is fixed-order float32 (update.hpp), so the result has the
// same bits on any thread count.
//
// Thread-safety: as the Database passed in (one per thread); `parallel` may spread each
// update over threads. Failure: kNotFound for an unknown id; kCorruption naming the
// individual for a checksum mismatch, a snapshot without its optimizer state, a state of the
// wrong size, or rows that do not form an ES lineage (a generation with the wrong number of
// members, antithetic partners with different seeds, a row that is neither center nor member).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "es/members.hpp"
#include "es/perturbation.hpp"
#include "es/update.hpp"
#include "evolve/algorithm.hpp"
#include "genome/genome.hpp"
#include "store/database.hpp"
#include "store/lineage_repo.hpp"

namespace seedline::es {

// What a center carries into the next update.
struct Center {
  std::vector<float> genotype;
  OptimizerState state;
};

// How an ES run's rows and its arithmetic fit together: everything a rebuild needs.
struct EsRun {
  const genome::Genome* genome = nullptr;
  evolve::EsSettings settings;
  int population = 0;  // members per generation (ga.population)
};

struct CenterRebuildStats {
  int64_t start_id = 0;       // the center the replay started from (a snapshot or center 0)
  int updates_replayed = 0;
  int checksums_verified = 0;
};

// True when `row` is a center of an ES run: a root, or a row born one generation after its
// parent (a member is born in its parent's generation).
bool is_center(const store::IndividualRow& row, const store::IndividualRow* parent);

// The members of center `center` (its children born in its own generation), in member
// order, with their signs and perturbation indices, and their stored fitnesses (NaN when
// none). Throws kCorruption when they do not form a generation of `run`.
struct Generation {
  std::vector<Member> members;
  std::vector<double> fitness;
  std::vector<int64_t> ids;
};
Generation members_of(store::Database& db, const store::IndividualRow& center, const EsRun& run);

// The genotype and optimizer state of center `id`.
Center rebuild_center(store::Database& db, int64_t id, const EsRun& run, const ParallelFor& parallel = serial(),
                      CenterRebuildStats* stats = nullptr);

// The genotype of any individual of an ES run: a center's, or a member's (its center plus
// its perturbation).
std::vector<float> rebuild_individual(store::Database& db, int64_t id, const EsRun& run,
                                      const ParallelFor& parallel = serial());

}  // namespace seedline::es
