#include "distributed/remote_executor.hpp"

#include <optional>
#include <set>

#include "genome/genome.hpp"
#include "runner/external_executor.hpp"
#include "util/error.hpp"

namespace seedline::distributed {

Source to_wire(const evolve::Slot& slot) {
  Source s;
  s.kind = static_cast<Source::Kind>(slot.kind);
  s.parent = slot.parent;
  s.seed = slot.kind == evolve::Slot::Kind::kElite ? 0 : slot.seed;  // an elite's seed is not sent
  s.sign = slot.kind == evolve::Slot::Kind::kMember ? slot.sign : 1.0f;
  return s;
}

evolve::Slot from_wire(const Source& source) {
  evolve::Slot slot;
  slot.kind = static_cast<evolve::Slot::Kind>(source.kind);
  slot.parent = source.parent;
  slot.seed = source.seed;
  slot.sign = source.sign;
  return slot;
}

static_assert(static_cast<int>(evolve::Slot::Kind::kRoot) == static_cast<int>(Source::Kind::kRoot) &&
                  static_cast<int>(evolve::Slot::Kind::kElite) == static_cast<int>(Source::Kind::kElite) &&
                  static_cast<int>(evolve::Slot::Kind::kChild) == static_cast<int>(Source::Kind::kChild) &&
                  static_cast<int>(evolve::Slot::Kind::kMember) == static_cast<int>(Source::Kind::kMember),
              "the wire's source kinds are evolve::Slot's");

WorkItem to_wire(const runner::WorkItem& item) {
  WorkItem w;
  w.member = static_cast<uint32_t>(item.member);
  w.source = to_wire(item.source);
  w.stage = static_cast<uint32_t>(item.stage);
  w.episode = static_cast<uint32_t>(item.episode);
  w.episode_seed = item.episode_seed;
  return w;
}

runner::WorkItem from_wire(const WorkItem& item) {
  runner::WorkItem r;
  r.member = static_cast<int>(item.member);
  r.source = from_wire(item.source);
  r.stage = static_cast<int>(item.stage);
  r.episode = static_cast<int>(item.episode);
  r.episode_seed = item.episode_seed;
  return r;
}

RemoteExecutor::RemoteExecutor(Dealer& dealer, Options options) : dealer_(dealer), options_(std::move(options)) {
  runner::ThreadPool* pool = options_.local_pool;
  if (pool == nullptr) {
    own_pool_ = std::make_unique<runner::ThreadPool>(1);
    pool = own_pool_.get();
  }
  local_pool_ = pool;
  local_ = std::make_unique<runner::LocalExecutor>(*pool, local_interrupted());
}

std::function<bool()> RemoteExecutor::local_interrupted() {
  // rank 0's own items stop early when the dealer winds a stage down (a worker failed).
  return [this] { return dealer_.halted() || (options_.interrupted && options_.interrupted()); };
}

RemoteExecutor::~RemoteExecutor() = default;

void RemoteExecutor::begin_run(const runner::RunSetup& setup, std::span<const runner::GenotypePtr> parents) {
  if (running_) end_run();
  // When rank 0 evaluates too, an external task's share runs in rank 0's own evaluator
  // processes, like every worker rank's; a dealing-only rank 0 derives parents in process.
  if (options_.local_pool != nullptr) {
    local_ = runner::make_process_executor(setup.condition, *local_pool_, local_interrupted());
  } else {
    local_ = std::make_unique<runner::LocalExecutor>(*local_pool_, local_interrupted());
  }
  local_->begin_run(setup, parents);
  run_id_ = setup.run_id;
  running_ = true;
  RunStart start;
  start.run_id = setup.run_id;
  start.noise_version = static_cast<uint32_t>(setup.noise_version);
  start.kernel_version = static_cast<uint32_t>(setup.kernel_version);
  start.config_json = setup.condition.dump();
  std::vector<Genotype> genotypes;
  for (size_t k = 0; k < parents.size(); ++k) {
    const auto& g = *parents[k];
    genotypes.push_back({setup.run_id, static_cast<uint32_t>(k), genome::Genome::checksum(g), g});
  }
  current_ = GenerationWire{};
  current_.run_id = run_id_;
  mark_ = dealer_.transport().counters();
  // An ES run resuming mid-way also sends its center's optimizer state.
  std::optional<EsState> es_state;
  if (setup.es_state && !parents.empty()) {
    es_state = EsState{setup.run_id, setup.es_state->step, setup.es_state->m, setup.es_state->v,
                       es_state_checksum(setup.es_state->m, setup.es_state->v)};
  }
  dealer_.start_run(start, genotypes, es_state ? &*es_state : nullptr);
}

void RemoteExecutor::evaluate(std::span<const runner::WorkItem> items, std::span<runner::ItemResult> results) {
  if (!running_) fail(ErrorCode::kInternal, "RemoteExecutor::evaluate before begin_run");
  if (results.size() != items.size()) fail(ErrorCode::kInternal, "RemoteExecutor::evaluate: results size mismatch");
  std::vector<WorkItem> wire(items.size());
  std::set<int> members;
  for (size_t i = 0; i < items.size(); ++i) {
    wire[i] = to_wire(items[i]);
    members.insert(items[i].member);
  }
  LocalEvaluation local;
  if (options_.local_pool != nullptr) {
    local.threads = options_.local_pool->size();
    local.evaluate = [this](std::span<const WorkItem> chunk, std::span<ItemResult> out) {
      std::vector<runner::WorkItem> mine(chunk.size());
      for (size_t i = 0; i < chunk.size(); ++i) mine[i] = from_wire(chunk[i]);
      std::vector<runner::ItemResult> got(chunk.size());
      local_->evaluate(mine, got);
      for (size_t i = 0; i < chunk.size(); ++i) out[i] = {0, got[i].reward, got[i].steps, std::move(got[i].metrics)};
    };
  }
  auto back = dealer_.evaluate(wire, local.evaluate ? &local : nullptr, {}, options_.interrupted);
  for (size_t i = 0; i < items.size(); ++i) {
    results[i] = runner::ItemResult{back[i].reward, back[i].steps, std::move(back[i].metrics)};
  }
  current_.evaluated += static_cast<int64_t>(items.size());
  current_.members += static_cast<int64_t>(members.size());
}

void RemoteExecutor::advance_parents(std::span<const evolve::Slot> sources) {
  if (!running_) fail(ErrorCode::kInternal, "RemoteExecutor::advance_parents before begin_run");
  local_->advance_parents(sources);
  const auto parents = local_->shared_parents();
  std::vector<uint64_t> checksums;
  for (const auto& p : parents) checksums.push_back(genome::Genome::checksum(*p));
  Selection selection;
  selection.run_id = run_id_;
  for (const auto& s : sources) selection.parents.push_back(to_wire(s));
  selection.digest = selection_digest(checksums);
  dealer_.select(selection);
  end_generation();
}

void RemoteExecutor::end_generation() {
  const auto& now = dealer_.transport().counters();
  current_.counters = now.minus(mark_);
  mark_ = now;
  if (options_.on_generation) options_.on_generation(current_);
  const int next = current_.generation + 1;
  current_ = GenerationWire{};
  current_.run_id = run_id_;
  current_.generation = next;
}

void RemoteExecutor::advance_center(std::span<const evolve::Slot> members, std::span<const double> fitness) {
  if (!running_) fail(ErrorCode::kInternal, "RemoteExecutor::advance_center before begin_run");
  local_->advance_center(members, fitness);
  const uint64_t checksum = genome::Genome::checksum(*local_->shared_parents().at(0));
  CenterUpdate update;
  update.run_id = run_id_;
  for (const auto& m : members) update.members.push_back(to_wire(m));
  update.fitness.assign(fitness.begin(), fitness.end());
  update.digest = selection_digest(std::span(&checksum, 1));
  dealer_.update_center(update);
  end_generation();
}

std::vector<runner::GenotypePtr> RemoteExecutor::shared_parents() const { return local_->shared_parents(); }

std::shared_ptr<const es::OptimizerState> RemoteExecutor::shared_es_state() const { return local_->shared_es_state(); }

void RemoteExecutor::end_run() {
  if (!running_) return;
  running_ = false;
  local_->end_run();
  dealer_.end_run(run_id_);
}

}  // namespace seedline::distributed
