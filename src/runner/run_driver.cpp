#include "runner/run_driver.hpp"

#include <chrono>
#include <cmath>
#include <future>
#include <limits>

#include "evolve/experiment.hpp"
#include "evolve/ga.hpp"
#include "genome/run_genome.hpp"
#include "lineage/rebuild.hpp"
#include "runner/crash_point.hpp"
#include "runner/driver_parts.hpp"
#include "runner/external_executor.hpp"
#include "runner/local_executor.hpp"
#include "store/evaluator_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/run_repo.hpp"
#include "store/stage_repo.hpp"
#include "tasks/external_task.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using namespace detail;

Parents rebuild_parents(store::Database& db, const RunContext& ctx, const store::GenerationRow& last,
                        lineage::GenotypeCache& cache, ThreadPool& pool) {
  Parents p;
  // Each replay is split over the pool (the same bits as one thread).
  const auto ops = ctx.genome->ops([&pool](size_t n, const std::function<void(size_t)>& piece) {
    pool.parallel_for(n, [&](size_t i, int) { piece(i); });
  });
  for (int64_t id : last.parents) {
    p.ids.push_back(id);
    auto cached = cache.get(id);
    p.genotypes.push_back(cached ? cached
                                 : std::make_shared<const std::vector<float>>(lineage::rebuild(db, id, ops, &cache)));
  }
  if (p.ids.empty()) corruption("run " + std::to_string(ctx.run.id) + ": generation " + std::to_string(last.generation) + " lists no parents");
  return p;
}

// Commits generation `g`; returns the new parents, or nullopt when the run was lost.
// `genotypes` are the new parents' (sel.parents' members), best first.
std::optional<Parents> commit_generation(store::Database& db, const RunContext& ctx, int g,
                                         std::span<const evolve::Slot> slots, std::vector<GenotypePtr> genotypes,
                                         const Parents& previous, const evolve::SelectionResult& sel,
                                         store::GenerationRow row, std::span<const store::StageRecord> stages,
                                         std::span<const store::GenerationMetric> metrics) {
  const auto& ga = ctx.config.ga;
  store::Transaction tx(db);
  if (!store::owns_run(db, ctx.run.id, std::string(*ctx.run.owner))) return std::nullopt;

  std::vector<store::NewIndividual> born;
  born.reserve(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].kind == evolve::Slot::Kind::kElite) continue;
    store::NewIndividual n;
    if (slots[i].kind == evolve::Slot::Kind::kChild) n.parent = previous.ids[static_cast<size_t>(slots[i].parent)];
    n.seed = slots[i].seed;
    n.generation = g;
    const double f = sel.evaluations[i].fitness();
    if (!std::isnan(f)) n.fitness = f;
    born.push_back(n);
  }
  const auto [first, last] = store::insert_individuals(db, ctx.run.id, born);
  std::vector<int64_t> ids(slots.size());
  int64_t next = first;
  for (size_t i = 0; i < slots.size(); ++i) {
    ids[i] = slots[i].kind == evolve::Slot::Kind::kElite ? previous.ids[static_cast<size_t>(slots[i].parent)] : next++;
  }

  Parents parents;
  for (int m : sel.parents) parents.ids.push_back(ids[static_cast<size_t>(m)]);
  parents.genotypes = std::move(genotypes);
  const bool snapshot_all = ga.snapshot_every > 0 && (g + 1) % ga.snapshot_every == 0;
  const bool final_generation = g + 1 == ga.generations;
  for (size_t k = 0; k < parents.ids.size(); ++k) {
    const auto& genotype = *parents.genotypes[k];
    const uint64_t checksum = genome::Genome::checksum(genotype);
    if (snapshot_all || (final_generation && k == 0)) {
      lineage::write_snapshot(db, ctx.run.id, parents.ids[k], genotype, checksum);  // sets the checksum too
    } else {
      store::set_checksum(db, parents.ids[k], checksum);
    }
  }
  row.first_individual = first;
  row.last_individual = last;
  row.best_individual = parents.ids.front();
  row.parents = parents.ids;
  store::insert_generation(db, row);
  store::insert_stages(db, ctx.run.id, g, stages);
  store::insert_generation_metrics(db, metrics);
  maybe_crash(CrashPoint::kCommit, g);
  tx.commit();
  maybe_crash(CrashPoint::kCommitted, g);
  return parents;
}

// The new parents' genotypes after executor.advance_parents: the executor's own when it
// shares them (in process), else derived here from the previous parents.
std::vector<GenotypePtr> advance_parents(RunContext& ctx, Coordinator& co, const Parents& previous,
                                         std::span<const evolve::Slot> sources) {
  co.background([&] { ctx.executor->advance_parents(sources); });
  auto genotypes = ctx.executor->shared_parents();
  if (genotypes.size() == sources.size()) return genotypes;
  genotypes.clear();
  for (const auto& s : sources) genotypes.push_back(derive_genotype(*ctx.genome, s, previous.genotypes));
  return genotypes;
}

// Runs generations from `start` to the end; returns kFinished or kLost (interrupts throw).
RunOutcome run_generations(store::Database& db, RunContext& ctx, int start, Parents parents, Coordinator& co,
                           const DriverOptions& options, lineage::GenotypeCache& cache, RunResult& result) {
  const auto& ga = ctx.config.ga;
  double spent = 0;
  for (int g = start; g < ga.generations; ++g) {
    if (co.interrupted()) throw RunInterrupted{};
    ctx.current = g;
    const auto t0 = Clock::now();
    const auto slots = evolve::plan_generation(ctx.run.seed, g, ga, static_cast<int>(parents.ids.size()));
    std::vector<store::StageRecord> stages;
    std::vector<store::GenerationMetric> metrics;
    const auto sel = evaluate_generation(ctx, co, g, slots, stages, metrics);
    maybe_crash(CrashPoint::kEvaluate, g);
    const auto t1 = Clock::now();
    const double eval_seconds = seconds_since(t0);
    const auto summary = summary_of(sel);
    std::vector<evolve::Slot> sources;
    for (const int m : sel.parents) sources.push_back(slots[static_cast<size_t>(m)]);
    auto genotypes = advance_parents(ctx, co, parents, sources);
    const double build_seconds = seconds_since(t1);

    const auto row = generation_row(ctx, g, summary, eval_seconds, t0);
    const auto t2 = Clock::now();
    auto next = commit_generation(db, ctx, g, slots, std::move(genotypes), parents, sel, row, stages, metrics);
    if (!next) return RunOutcome::kLost;
    const double commit_seconds = seconds_since(t2);
    parents = std::move(*next);
    for (size_t k = 0; k < parents.ids.size(); ++k) cache.put(parents.ids[k], parents.genotypes[k]);
    report_generation(ctx, co, options, g, summary, {t0, build_seconds, eval_seconds, commit_seconds}, spent, result);
  }
  return RunOutcome::kFinished;
}

// Records who evaluates the run from generation `start` on (a new row only when the
// evaluator differs from the one before: store/evaluator_repo.hpp), says who it is (on the
// daemon's log, or for `seedline run` through the progress output), and warns loudly when a
// resumed run meets an evaluator of another name, version or command.
void record_evaluator(store::Database& db, const RunContext& ctx, const EvaluatorInfo& id, int start,
                      const DriverOptions& options) {
  store::RunEvaluator now;
  now.run_id = ctx.run.id;
  now.generation = start;
  now.command = nlohmann::json(id.command).dump();
  now.name = id.name;
  now.version = id.version;
  now.protocol = id.protocol;
  const auto before = start > 0 ? store::find_run_evaluator(db, ctx.run.id, start - 1) : std::nullopt;
  store::record_run_evaluator(db, now);
  std::vector<std::string> lines;
  lines.push_back("evaluator '" + id.name + "' version '" + id.version + "' (protocol " + std::to_string(id.protocol) +
                  ")");
  if (before && (before->name != id.name || before->version != id.version)) {
    lines.push_back("WARNING: run " + std::to_string(ctx.run.id) + " was evaluated by '" + before->name +
                    "' version '" + before->version + "' (from generation " + std::to_string(before->generation) +
                    ") but resumes at generation " + std::to_string(start) + " with '" + id.name + "' version '" +
                    id.version + "': generations from here on may not be comparable with the earlier ones (both are recorded)");
  }
  if (before && before->command != now.command) {
    lines.push_back("WARNING: run " + std::to_string(ctx.run.id) + ": the evaluator command was " + before->command +
                    " and is now " + now.command);
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (options.log != nullptr) {
      // The first line names the run; the warnings name it themselves.
      *options.log << "seedline: " << (i == 0 ? "run " + std::to_string(ctx.run.id) + ": " : "") << lines[i] << '\n';
    } else if (options.progress != nullptr) {
      options.progress->note(ctx.label, lines[i]);
    }
  }
  if (options.log != nullptr) *options.log << std::flush;
}

std::string describe_failure(const std::exception& e, int generation) {
  return (generation >= 0 ? "generation " + std::to_string(generation) + ": " : std::string()) + e.what();
}

}  // namespace

std::string_view outcome_name(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kFinished: return "finished";
    case RunOutcome::kPaused: return "paused";
    case RunOutcome::kFailed: return "failed";
    case RunOutcome::kLost: return "lost";
  }
  return "failed";
}

RunResult drive_run(store::Database& db, const store::RunRow& claimed, const std::string& owner, ThreadPool& pool,
                    const DriverOptions& options) {
  store::RunRow run = claimed;
  run.owner = owner;
  RunResult result;
  Coordinator co(db, run.id, owner, options);
  LocalExecutor local(pool, co.interrupt_check());
  // An external task's evaluator processes, when no executor was given (created once the
  // task is known); it outlives end_run below.
  std::unique_ptr<ExternalExecutor> external;
  Executor* executor = options.executor != nullptr ? options.executor : &local;
  // Whatever way the run ends, the executor drops its parents (and stops its processes).
  struct EndRun {
    Executor*& e;
    bool begun = false;
    ~EndRun() {
      if (begun) e->end_run();
    }
  } end_run{executor};
  lineage::GenotypeCache private_cache;
  lineage::GenotypeCache& cache = options.cache != nullptr ? *options.cache : private_cache;
  RunContext ctx{run, {}, nullptr, nullptr, executor, {}};
  ctx.label.run_id = run.id;
  ctx.label.condition = run.condition;
  ctx.label.trial = run.trial;
  if (const auto e = store::find_experiment(db, run.experiment_id)) ctx.label.experiment = e->name;
  bool started = false;

  const auto finish = [&](RunOutcome outcome, const std::string& message) {
    result.outcome = outcome;
    result.message = message;
    if (outcome != RunOutcome::kLost) {
      const auto state = outcome == RunOutcome::kFinished ? store::RunState::kFinished
                         : outcome == RunOutcome::kPaused ? store::RunState::kPaused
                                                          : store::RunState::kFailed;
      if (!store::release_run(db, run.id, owner, state,
                              message.empty() ? std::nullopt : std::optional<std::string>(message))) {
        result.outcome = RunOutcome::kLost;
      }
    }
    if (options.progress != nullptr && started) {
      options.progress->run_ended(ctx.label, std::string(outcome_name(result.outcome)), result.message);
    }
    return result;
  };

  try {
    ctx.config = load_config(db, run);
    ctx.label.generations = ctx.config.ga.generations;
    ctx.genome = std::make_unique<genome::Genome>(genome::genome_for_condition(ctx.config, run.noise_version, run.kernel_version));
    ctx.task = options.make_task ? options.make_task(ctx.config.task) : tasks::make_task(ctx.config.task);
    if (options.executor == nullptr && dynamic_cast<const tasks::ExternalTask*>(ctx.task.get()) != nullptr) {
      external = std::make_unique<ExternalExecutor>(pool, co.interrupt_check());
      executor = ctx.executor = external.get();
    }
    const auto last = store::last_generation(db, run.id);
    const int start = last ? last->generation + 1 : 0;
    result.last_generation = start - 1;
    if (options.progress != nullptr) options.progress->run_started(ctx.label, start);
    started = true;
    if (start >= ctx.config.ga.generations) return finish(RunOutcome::kFinished, "");
    const bool es = ctx.config.algorithm.is_es();
    Parents parents;
    EsPosition position;
    if (es) {
      position = es_position(db, ctx, last ? &*last : nullptr, pool);
      parents.genotypes = {position.center};
    } else if (last) {
      parents = rebuild_parents(db, ctx, *last, cache, pool);
    }
    RunSetup setup;
    setup.run_id = run.id;
    setup.condition = ctx.config.to_json();
    setup.noise_version = run.noise_version;
    setup.kernel_version = run.kernel_version;
    setup.genome = ctx.genome.get();
    setup.task = ctx.task.get();
    setup.es_state = position.state;
    end_run.begun = true;
    // In the background: starting evaluator processes may take seconds of heartbeats.
    co.background([&] { executor->begin_run(setup, parents.genotypes); });
    if (const auto evaluator = executor->evaluator()) record_evaluator(db, ctx, *evaluator, start, options);
    const auto outcome = es ? run_es_generations(db, ctx, start, std::move(position), co, options, cache, result)
                            : run_generations(db, ctx, start, std::move(parents), co, options, cache, result);
    return finish(outcome, "");
  } catch (const RunInterrupted&) {
    if (co.lost()) return finish(RunOutcome::kLost, "another daemon took the run over");
    return finish(RunOutcome::kPaused, "stopped at generation " + std::to_string(result.last_generation + 1) +
                                           "; resumes from there");
  } catch (const Error& e) {
    // The store could not be reached or written: leave the run to go stale and be resumed.
    if (e.code() == ErrorCode::kIOError) throw;
    if (co.lost()) return finish(RunOutcome::kLost, "another daemon took the run over");
    return finish(RunOutcome::kFailed, describe_failure(e, ctx.current));
  } catch (const std::exception& e) {
    if (co.lost()) return finish(RunOutcome::kLost, "another daemon took the run over");
    return finish(RunOutcome::kFailed, describe_failure(e, ctx.current));
  }
}

}  // namespace seedline::runner
