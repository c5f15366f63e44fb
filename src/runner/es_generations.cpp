// The ES generation loop of the run driver (docs/es.md, "Lineage and the runner"): members
// through the executor, the center's update in the executor, and the commit of the members'
// rows, the next center's row, its checksum and, every snapshot_every generations and at the
// end, its snapshot and optimizer state.
#include <cmath>
#include <sstream>
#include <vector>

#include "es/lineage.hpp"
#include "es/members.hpp"
#include "lineage/rebuild.hpp"
#include "runner/crash_point.hpp"
#include "runner/driver_parts.hpp"
#include "store/es_state_repo.hpp"
#include "store/lineage_repo.hpp"
#include "util/error.hpp"

namespace seedline::runner::detail {
namespace {

es::EsRun es_run_of(const RunContext& ctx) {
  return es::EsRun{ctx.genome.get(), ctx.config.algorithm.es, ctx.config.ga.population};
}

// The generation's members as work-interface slots of the center (parent slot 0).
std::vector<evolve::Slot> member_slots(const RunContext& ctx, int g) {
  const auto& ga = ctx.config.ga;
  const auto members = es::plan_members(ctx.run.seed, g, ga.population, ctx.config.algorithm.es.antithetic);
  std::vector<evolve::Slot> slots(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    slots[i].kind = evolve::Slot::Kind::kMember;
    slots[i].parent = 0;
    slots[i].seed = members[i].seed;
    slots[i].sign = members[i].sign;
  }
  return slots;
}

// Whether generation g's commit stores the next center's snapshot and optimizer state.
bool snapshot_due(const evolve::GaSettings& ga, int g) {
  return (ga.snapshot_every > 0 && (g + 1) % ga.snapshot_every == 0) || g + 1 == ga.generations;
}

// A step that overflowed (a sigma, learning rate or weight decay far too large) leaves
// NaN or infinity in the center, and every later generation would evaluate and store garbage
// ("finishing" with an all-NaN center). The run fails at the generation that diverged,
// before it is committed, naming the settings that drive the step.
void require_finite_center(const evolve::EsSettings& es, const std::vector<float>& center) {
  size_t bad = 0;
  size_t first = 0;
  for (size_t i = 0; i < center.size(); ++i) {
    if (!std::isfinite(center[i]) && bad++ == 0) first = i;
  }
  if (bad == 0) return;
  const auto number = [](double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  failed_precondition("the ES update made the center non-finite (" + std::to_string(bad) + " of its " +
                      std::to_string(center.size()) + " values, the first at genotype index " +
                      std::to_string(first) + "): the step diverged; lower algorithm.sigma (" + number(es.sigma) +
                      "), algorithm.learning_rate (" + number(es.learning_rate) + ") or algorithm.weight_decay (" +
                      number(es.weight_decay) + "); nothing of this generation was stored");
}

// The center after generation g's update, as the executor shares it, and its optimizer state,
// taken (a copy of Adam's moments) only when a snapshot will store it. Every executor shares
// an ES run's center (the MPI one keeps rank 0's copy), so the coordinator never updates one
// itself.
std::pair<GenotypePtr, std::shared_ptr<const es::OptimizerState>> next_center(
    RunContext& ctx, Coordinator& co, int g, std::span<const evolve::Slot> slots, std::span<const double> fitness) {
  co.background([&] { ctx.executor->advance_center(slots, fitness); });
  const auto shared = ctx.executor->shared_parents();
  const bool need_state = snapshot_due(ctx.config.ga, g);
  auto state = need_state ? ctx.executor->shared_es_state() : nullptr;
  if (shared.size() != 1 || (need_state && !state)) {
    fail(ErrorCode::kInternal, "the executor does not share its ES center and optimizer state");
  }
  require_finite_center(ctx.config.algorithm.es, *shared.front());
  return {shared.front(), state};
}

// Commits ES generation `g`; returns the next position, or nullopt when the run was lost.
std::optional<EsPosition> commit_es_generation(store::Database& db, const RunContext& ctx, int g,
                                               const EsPosition& now, std::span<const evolve::Slot> slots,
                                               const evolve::SelectionResult& sel, EsPosition next,
                                               store::GenerationRow row, std::span<const store::StageRecord> stages,
                                         std::span<const store::GenerationMetric> metrics) {
  const auto& ga = ctx.config.ga;
  store::Transaction tx(db);
  if (!store::owns_run(db, ctx.run.id, std::string(*ctx.run.owner))) return std::nullopt;

  int64_t first = 0;
  int64_t center_id = 0;
  if (now.center_id) {
    center_id = *now.center_id;
  } else {
    // Generation 0 writes center 0, the root every later center and member descends from.
    store::NewIndividual root;
    root.seed = es::center_seed(ctx.run.seed);
    root.generation = 0;
    root.checksum = genome::Genome::checksum(*now.center);
    center_id = first = store::insert_individuals(db, ctx.run.id, std::span(&root, 1)).first;
  }
  std::vector<store::NewIndividual> born(slots.size() + 1);
  for (size_t i = 0; i < slots.size(); ++i) {
    born[i].parent = center_id;
    born[i].seed = slots[i].seed;
    born[i].generation = g;
    const double f = sel.evaluations[i].fitness();
    if (!std::isnan(f)) born[i].fitness = f;
  }
  const uint64_t checksum = genome::Genome::checksum(*next.center);
  store::NewIndividual& center = born.back();
  center.parent = center_id;
  center.seed = 0;  // a center is its parent's update, not a mutation
  center.generation = g + 1;
  center.checksum = checksum;
  const auto [members_first, last] = store::insert_individuals(db, ctx.run.id, born);
  if (first == 0) first = members_first;
  next.center_id = last;

  if (snapshot_due(ga, g)) {
    lineage::write_snapshot(db, ctx.run.id, last, *next.center, checksum);
    store::EsStateRow state;
    state.individual_id = last;
    state.run_id = ctx.run.id;
    state.step = next.state->step;
    state.m = next.state->m;
    state.v = next.state->v;
    store::put_es_state(db, state);
  }
  row.first_individual = first;
  row.last_individual = last;
  row.best_individual = members_first + sel.parents.front();
  row.parents = {last};
  store::insert_generation(db, row);
  store::insert_stages(db, ctx.run.id, g, stages);
  store::insert_generation_metrics(db, metrics);
  maybe_crash(CrashPoint::kCommit, g);
  tx.commit();
  maybe_crash(CrashPoint::kCommitted, g);
  return next;
}

}  // namespace

EsPosition es_position(store::Database& db, const RunContext& ctx, const store::GenerationRow* last, ThreadPool& pool) {
  EsPosition p;
  if (last == nullptr) {
    p.center = std::make_shared<const std::vector<float>>(ctx.genome->init(es::center_seed(ctx.run.seed)));
    p.state = std::make_shared<const es::OptimizerState>(
        es::initial_state(ctx.config.algorithm.es, ctx.genome->genotype_size()));
    return p;
  }
  if (last->parents.size() != 1) {
    corruption("run " + std::to_string(ctx.run.id) + ": ES generation " + std::to_string(last->generation) + " lists " +
               std::to_string(last->parents.size()) + " parents, not its next center");
  }
  p.center_id = last->parents.front();
  auto center = es::rebuild_center(db, *p.center_id, es_run_of(ctx),
                                   [&pool](size_t n, const std::function<void(size_t, int)>& fn) {
                                     pool.parallel_for(n, fn);
                                   });
  p.center = std::make_shared<const std::vector<float>>(std::move(center.genotype));
  p.state = std::make_shared<const es::OptimizerState>(std::move(center.state));
  return p;
}

RunOutcome run_es_generations(store::Database& db, RunContext& ctx, int start, EsPosition position, Coordinator& co,
                              const DriverOptions& options, lineage::GenotypeCache& cache, RunResult& result) {
  const auto& ga = ctx.config.ga;
  double spent = 0;
  for (int g = start; g < ga.generations; ++g) {
    if (co.interrupted()) throw RunInterrupted{};
    ctx.current = g;
    const auto t0 = Clock::now();
    const auto slots = member_slots(ctx, g);
    std::vector<store::StageRecord> stages;
    std::vector<store::GenerationMetric> metrics;
    const auto sel = evaluate_generation(ctx, co, g, slots, stages, metrics);
    maybe_crash(CrashPoint::kEvaluate, g);
    const double eval_seconds = seconds_since(t0);
    const auto summary = summary_of(sel);
    std::vector<double> fitness(sel.evaluations.size());
    for (size_t i = 0; i < fitness.size(); ++i) fitness[i] = sel.evaluations[i].fitness();
    const auto t1 = Clock::now();
    EsPosition next;
    std::tie(next.center, next.state) = next_center(ctx, co, g, slots, fitness);
    const double build_seconds = seconds_since(t1);

    const auto row = generation_row(ctx, g, summary, eval_seconds, t0);
    const auto t2 = Clock::now();
    auto committed = commit_es_generation(db, ctx, g, position, slots, sel, std::move(next), row, stages, metrics);
    if (!committed) return RunOutcome::kLost;
    const double commit_seconds = seconds_since(t2);
    position = std::move(*committed);
    cache.put(*position.center_id, position.center);
    report_generation(ctx, co, options, g, summary, {t0, build_seconds, eval_seconds, commit_seconds}, spent, result);
  }
  return RunOutcome::kFinished;
}

}  // namespace seedline::runner::detail
