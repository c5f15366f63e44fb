#include "runner/external_executor.hpp"

#include <algorithm>
#include <unordered_map>

#include "evolve/experiment.hpp"
#include "genome/run_genome.hpp"
#include "nn/activation.hpp"
#include "runner/local_executor.hpp"
#include "tasks/external_task.hpp"
#include "util/error.hpp"

namespace seedline::runner {

nlohmann::json describe_network(const genome::Architecture& architecture, const nlohmann::json& network) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const auto& spec = architecture.layers[i];
    nlohmann::json layer = network.is_array() && i < network.size() && network[i].is_object() ? network[i]
                                                                                               : nlohmann::json::object();
    layer["type"] = spec.type;
    layer["activation"] = std::string(nn::activation_name(spec.activation));
    nlohmann::json names = nlohmann::json::array();
    for (int t : spec.tensors) names.push_back(architecture.tensors[static_cast<size_t>(t)].name);
    layer["tensors"] = names;
    if (!spec.tensors.empty()) {
      const auto& first = architecture.tensors[static_cast<size_t>(spec.tensors.front())];
      if ((spec.type == "dense" || spec.type == "conv") && first.shape.size() >= 2) {
        layer["out"] = first.shape[0];
        layer["in"] = first.shape[1];
      }
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

bool has_external_task(const nlohmann::json& condition) {
  const auto task = condition.find("task");
  return task != condition.end() && task->is_object() && task->value("type", "") == "external";
}

std::unique_ptr<Executor> make_process_executor(const nlohmann::json& condition, ThreadPool& pool,
                                                std::function<bool()> interrupted) {
  if (has_external_task(condition)) return std::make_unique<ExternalExecutor>(pool, std::move(interrupted));
  return std::make_unique<LocalExecutor>(pool, std::move(interrupted));
}

ExternalExecutor::ExternalExecutor(ThreadPool& pool, std::function<bool()> interrupted)
    : pool_(pool), interrupted_(std::move(interrupted)) {}

ExternalExecutor::~ExternalExecutor() { end_run(); }

void ExternalExecutor::tick() const {
  if (interrupted_ && interrupted_()) throw RunInterrupted{};
}

void ExternalExecutor::begin_run(const RunSetup& setup, std::span<const GenotypePtr> parents) {
  end_run();
  const auto config = evolve::ConditionConfig::from_json(setup.condition);
  if (setup.genome != nullptr) {
    genome_ = setup.genome;
  } else {
    own_genome_ = std::make_unique<genome::Genome>(genome::genome_for_condition(config, setup.noise_version, setup.kernel_version));
    genome_ = own_genome_.get();
  }
  const tasks::Task* task = setup.task;
  if (task == nullptr) {
    own_task_ = tasks::make_task(config.task);
    task = own_task_.get();
  }
  const auto* external = dynamic_cast<const tasks::ExternalTask*>(task);
  if (external == nullptr) {
    fail(ErrorCode::kInternal, "ExternalExecutor: task '" + task->name() + "' is not an external task");
  }
  const auto& spec = external->spec();
  command_ = spec.command;
  evaluator::PoolOptions options;
  options.command = spec.command;
  options.workers = spec.workers;
  // The first stage's batch: every member's first episodes. Later, larger batches (an elite
  // re-evaluation) start more workers if `workers` allows.
  const int64_t first_stage = int64_t{config.ga.population} *
                              (config.ga.stages.empty() ? 1 : std::max(1, config.ga.stages.front().evaluations));
  options.expected_items = static_cast<int>(std::min<int64_t>(first_stage, spec.workers));
  options.timeout = spec.timeout;
  options.startup_timeout = spec.startup_timeout;
  options.retries = spec.retries;
  options.weights_bytes = genome_->phenotype_size() * sizeof(float);
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors;
  for (const auto& t : genome_->architecture().tensors) tensors.emplace_back(t.name, t.shape);
  options.hello = evaluator::make_hello(tensors, describe_network(genome_->architecture(), config.network),
                                        external->resolved_spec());
  parents_.assign(parents.begin(), parents.end());
  es_ = es_work_for(setup, *genome_);
  evaluators_ = std::make_unique<evaluator::EvaluatorPool>(std::move(options));
  evaluators_->start([this] { tick(); });
}

void ExternalExecutor::evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) {
  if (!evaluators_) fail(ErrorCode::kInternal, "ExternalExecutor::evaluate before begin_run");
  if (results.size() != items.size()) fail(ErrorCode::kInternal, "ExternalExecutor::evaluate: results size mismatch");
  // One phenotype per member (a member's episodes share it), developed on every thread.
  std::unordered_map<int, size_t> slot;
  std::vector<size_t> first_item;
  for (size_t i = 0; i < items.size(); ++i) {
    if (slot.emplace(items[i].member, first_item.size()).second) first_item.push_back(i);
  }
  std::vector<std::vector<float>> phenotypes(first_item.size());
  pool_.parallel_for(first_item.size(), [&](size_t k, int) {
    tick();
    const WorkItem& item = items[first_item[k]];
    try {
      phenotypes[k] = genome_->develop(*derive_genotype(*genome_, item.source, parents_, es_ ? es_->perturbation.get() : nullptr));
    } catch (...) {
      rethrow_for_item(item, std::current_exception());
    }
  });
  std::vector<evaluator::Item> work;
  work.reserve(items.size());
  for (const auto& item : items) work.push_back({item.member, item.episode, item.episode_seed});
  const auto answers = evaluators_->evaluate(
      work, [&](int member) { return std::span<const float>(phenotypes[slot.at(member)]); },
      [&](size_t i) { return describe(items[i]) + " (episode seed " + std::to_string(items[i].episode_seed) + ")"; },
      [this] { tick(); });
  for (size_t i = 0; i < items.size(); ++i) {
    results[i] = ItemResult{answers[i].reward, answers[i].steps, answers[i].metrics};
  }
}

void ExternalExecutor::advance_parents(std::span<const evolve::Slot> sources) {
  std::vector<GenotypePtr> next;
  next.reserve(sources.size());
  for (const auto& s : sources) next.push_back(derive_genotype(*genome_, s, parents_));
  parents_ = std::move(next);
}

void ExternalExecutor::advance_center(std::span<const evolve::Slot> members, std::span<const double> fitness) {
  if (!es_ || parents_.size() != 1) fail(ErrorCode::kInternal, "ExternalExecutor::advance_center outside an ES run");
  parents_.front() = advance_es_center(*es_, parents_.front(), members, fitness,
                                       [this](size_t n, const std::function<void(size_t, int)>& fn) {
                                         pool_.parallel_for(n, fn);
                                       });
}

std::shared_ptr<const es::OptimizerState> ExternalExecutor::shared_es_state() const {
  return es_ ? std::make_shared<const es::OptimizerState>(es_->state) : nullptr;
}

std::optional<EvaluatorInfo> ExternalExecutor::evaluator() const {
  if (!evaluators_) return std::nullopt;
  const auto& id = evaluators_->identity();
  return EvaluatorInfo{id.name, id.version, id.protocol, command_};
}

void ExternalExecutor::end_run() {
  evaluators_.reset();  // stops and reaps every evaluator process
  parents_.clear();
  es_.reset();
  genome_ = nullptr;
  own_genome_.reset();
  own_task_.reset();
}

}  // namespace seedline::runner
