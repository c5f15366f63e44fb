#include "es/lineage.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "store/es_state_repo.hpp"
#include "store/snapshot_repo.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::es {
namespace {

std::string individual(int64_t id) { return "individual " + std::to_string(id); }

void verify(int64_t target, int64_t id, uint64_t actual, uint64_t stored, const char* what, CenterRebuildStats& stats) {
  ++stats.checksums_verified;
  if (actual == stored) return;
  corruption("rebuild of " + individual(target) + ": " + what + " of " + individual(id) + " has checksum " +
             hex64(actual) + " but " + hex64(stored) +
             " is stored (damaged lineage, fitness or snapshot, or a genome/noise mismatch)");
}

// The optimizer state stored beside center `id`'s snapshot, checked against the genome.
OptimizerState stored_state(store::Database& db, int64_t id, const EsRun& run) {
  auto row = store::find_es_state(db, id);
  if (!row) corruption(individual(id) + " is an ES center with a snapshot but no optimizer state");
  OptimizerState s;
  s.step = row->step;
  s.m = std::move(row->m);
  s.v = std::move(row->v);
  const bool adam = run.settings.optimizer == evolve::EsSettings::Optimizer::kAdam;
  const size_t want = adam ? run.genome->genotype_size() : 0;
  if (s.m.size() != want) {
    corruption("optimizer state of " + individual(id) + " holds " + std::to_string(s.m.size()) +
               " moment values per vector, the run's " + std::string(adam ? "Adam" : "SGD") + " needs " +
               std::to_string(want));
  }
  return s;
}

}  // namespace

bool is_center(const store::IndividualRow& row, const store::IndividualRow* parent) {
  if (!row.parent) return true;
  return parent != nullptr && row.generation == parent->generation + 1;
}

Generation members_of(store::Database& db, const store::IndividualRow& center, const EsRun& run) {
  Generation g;
  for (const auto& child : store::children(db, center.id)) {
    if (child.generation != center.generation) continue;
    Member m;
    m.seed = child.seed;
    g.members.push_back(m);
    g.fitness.push_back(child.fitness.value_or(std::numeric_limits<double>::quiet_NaN()));
    g.ids.push_back(child.id);
  }
  if (static_cast<int>(g.members.size()) != run.population) {
    corruption("ES center " + individual(center.id) + " (generation " + std::to_string(center.generation) + ") has " +
               std::to_string(g.members.size()) + " members stored, the run's population is " +
               std::to_string(run.population));
  }
  for (size_t i = 0; i < g.members.size(); ++i) {
    Member& m = g.members[i];
    if (run.settings.antithetic) {
      m.perturbation = static_cast<int>(i / 2);
      m.sign = i % 2 == 1 ? -1.0f : 1.0f;
      if (i % 2 == 1 && m.seed != g.members[i - 1].seed) {
        corruption("ES member " + individual(g.ids[i]) + " has seed " + std::to_string(m.seed) +
                   " but its antithetic partner " + individual(g.ids[i - 1]) + " has " +
                   std::to_string(g.members[i - 1].seed));
      }
    } else {
      m.perturbation = static_cast<int>(i);
      m.sign = 1.0f;
    }
  }
  return g;
}

Center rebuild_center(store::Database& db, int64_t id, const EsRun& run, const ParallelFor& parallel,
                      CenterRebuildStats* stats_out) {
  if (run.genome == nullptr) fail(ErrorCode::kInternal, "es::rebuild_center without a genome");
  const auto path = store::ancestor_path_to_snapshot(db, id);
  CenterRebuildStats stats;
  for (size_t k = 1; k < path.size(); ++k) {
    if (!is_center(path[k].individual, &path[k - 1].individual)) {
      corruption(individual(path[k].individual.id) + " is not an ES center (born in generation " +
                 std::to_string(path[k].individual.generation) + ", its parent in " +
                 std::to_string(path[k - 1].individual.generation) + ")");
    }
  }
  const auto& first = path.front().individual;
  stats.start_id = first.id;
  Center c;
  if (path.front().has_snapshot) {
    auto snap = store::find_snapshot(db, first.id);
    if (!snap) fail(ErrorCode::kInternal, "snapshot of " + individual(first.id) + " vanished");
    c.genotype = std::move(snap->genotype);
    verify(id, first.id, genome::Genome::checksum(c.genotype), snap->checksum, "snapshot", stats);
    c.state = stored_state(db, first.id, run);
    // A snapshot's checksum is the row's too (lineage::write_snapshot stores both).
    if (first.checksum) verify(id, first.id, snap->checksum, *first.checksum, "center", stats);
  } else {
    if (first.parent) fail(ErrorCode::kInternal, "ancestor path of " + individual(id) + " has no start");
    c.genotype = run.genome->init(first.seed);
    c.state = initial_state(run.settings, c.genotype.size());
    if (first.checksum) verify(id, first.id, genome::Genome::checksum(c.genotype), *first.checksum, "center", stats);
  }
  const Perturbation perturbation(*run.genome, run.settings);
  for (size_t k = 1; k < path.size(); ++k) {
    const auto gen = members_of(db, path[k - 1].individual, run);
    update_center(run.settings, perturbation, gen.members, gen.fitness, c.genotype, c.state, parallel);
    ++stats.updates_replayed;
    const auto& row = path[k].individual;
    if (row.checksum) verify(id, row.id, genome::Genome::checksum(c.genotype), *row.checksum, "updated center", stats);
  }
  if (stats_out != nullptr) *stats_out = stats;
  return c;
}

std::vector<float> rebuild_individual(store::Database& db, int64_t id, const EsRun& run, const ParallelFor& parallel) {
  const auto row = store::get_individual(db, id);
  std::optional<store::IndividualRow> parent;
  if (row.parent) parent = store::get_individual(db, *row.parent);
  if (is_center(row, parent ? &*parent : nullptr)) return rebuild_center(db, id, run, parallel).genotype;
  if (row.generation != parent->generation) {
    corruption(individual(id) + " is neither an ES center nor a member (born in generation " +
               std::to_string(row.generation) + ", its parent in " + std::to_string(parent->generation) + ")");
  }
  const auto gen = members_of(db, *parent, run);
  size_t place = 0;
  while (place < gen.ids.size() && gen.ids[place] != id) ++place;
  if (place == gen.ids.size()) fail(ErrorCode::kInternal, individual(id) + " is missing among its center's members");
  const Center center = rebuild_center(db, parent->id, run, parallel);
  const Perturbation perturbation(*run.genome, run.settings);
  std::vector<float> genotype(center.genotype.size());
  perturbation.perturb(center.genotype, gen.members[place].seed, gen.members[place].sign, genotype);
  return genotype;
}

}  // namespace seedline::es
