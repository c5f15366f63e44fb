#include "runner/local_executor.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "genome/policy_network.hpp"
#include "genome/run_genome.hpp"
#include "genome/transformer_spec.hpp"
#include "util/error.hpp"
#include "util/stop_check.hpp"

namespace seedline::runner {

struct LocalExecutor::Member {
  evolve::Slot source;
  std::vector<size_t> items;  // indices into the evaluate call's items, in their order
};

namespace {

// Items grouped by member, members in order of first appearance.
template <typename MemberT>
std::vector<MemberT> group_by_member(std::span<const WorkItem> items) {
  std::vector<MemberT> members;
  std::unordered_map<int, size_t> index;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto [it, added] = index.emplace(items[i].member, members.size());
    if (added) members.push_back({items[i].source, {}});
    members[it->second].items.push_back(i);
  }
  return members;
}

// Copies of its weights a built policy network holds: version 3 adds the kernels' transposed,
// padded layout of each dense layer next to the weights themselves (nn/mlp.hpp).
size_t network_copies(int kernel_version) { return kernel_version >= 3 ? 2 : 1; }

}  // namespace

LocalExecutor::LocalExecutor(ThreadPool& pool, std::function<bool()> interrupted)
    : LocalExecutor(pool, std::move(interrupted), Options{}) {}

LocalExecutor::LocalExecutor(ThreadPool& pool, std::function<bool()> interrupted, Options options)
    : pool_(pool), interrupted_(std::move(interrupted)), stop_check_([this] { check_interrupt(); }), options_(options) {}

LocalExecutor::~LocalExecutor() = default;

void LocalExecutor::begin_run(const RunSetup& setup, std::span<const GenotypePtr> parents) {
  end_run();
  if (setup.genome != nullptr) {
    genome_ = setup.genome;
  } else {
    own_genome_ = std::make_unique<genome::Genome>(genome::genome_for_condition(
        evolve::ConditionConfig::from_json(setup.condition), setup.noise_version, setup.kernel_version));
    genome_ = own_genome_.get();
  }
  if (setup.task != nullptr) {
    task_ = setup.task;
  } else {
    own_task_ = tasks::make_task(setup.condition.at("task"));
    task_ = own_task_.get();
  }
  parents_.assign(parents.begin(), parents.end());
  es_ = es_work_for(setup, *genome_);
  const auto workers = static_cast<size_t>(pool_.size());
  genotype_scratch_.assign(workers, {});
  phenotype_scratch_.assign(workers, {});
}

void LocalExecutor::end_run() {
  parents_.clear();
  es_.reset();
  genotype_scratch_.clear();
  phenotype_scratch_.clear();
  genome_ = nullptr;
  task_ = nullptr;
  own_genome_.reset();
  own_task_.reset();
}

void LocalExecutor::check_interrupt() const {
  if (interrupted_ && interrupted_()) throw RunInterrupted{};
}

std::span<const float> LocalExecutor::genotype_of(const evolve::Slot& source, int worker) {
  auto& scratch = genotype_scratch_[static_cast<size_t>(worker)];
  switch (source.kind) {
    case evolve::Slot::Kind::kRoot:
      scratch = genome_->init(source.seed);
      return scratch;
    case evolve::Slot::Kind::kElite:
      return *derive_genotype(*genome_, source, parents_);
    case evolve::Slot::Kind::kChild: {
      if (source.parent < 0 || static_cast<size_t>(source.parent) >= parents_.size()) {
        fail(ErrorCode::kInternal, "parent slot " + std::to_string(source.parent) + " of " +
                                       std::to_string(parents_.size()) + " parents");
      }
      scratch.resize(genome_->genotype_size());
      genome_->mutate_into(*parents_[static_cast<size_t>(source.parent)], source.seed, scratch);
      return scratch;
    }
    case evolve::Slot::Kind::kMember: {
      if (!es_ || parents_.empty()) fail(ErrorCode::kInternal, "an ES member slot outside an ES run");
      scratch.resize(genome_->genotype_size());
      es_->perturbation->perturb(*parents_.front(), source.seed, source.sign, scratch);
      return scratch;
    }
  }
  fail(ErrorCode::kInternal, "unknown slot kind");
}

std::span<const float> LocalExecutor::phenotype_of(const evolve::Slot& source, int worker) {
  const auto genotype = genotype_of(source, worker);
  if (genome_->phenotype_is_genotype()) return genotype;  // develop() would copy it unchanged
  auto& phenotype = phenotype_scratch_[static_cast<size_t>(worker)];
  phenotype.resize(genome_->phenotype_size());
  genome_->develop_into(genotype, phenotype);
  return phenotype;
}

void LocalExecutor::evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) {
  if (genome_ == nullptr) fail(ErrorCode::kInternal, "LocalExecutor::evaluate before begin_run");
  if (results.size() != items.size()) fail(ErrorCode::kInternal, "LocalExecutor::evaluate: results size mismatch");
  const auto members = group_by_member<Member>(items);
  if (task_->scores_network()) {
    score_networks(members, items, results);
  } else if (task_->scores_phenotype()) {
    score_members(members, items, results);
  } else {
    run_episodes(members, items, results);
  }
}

void LocalExecutor::score_members(const std::vector<Member>& members, std::span<const WorkItem> items,
                                  std::span<ItemResult> results) {
  pool_.parallel_for(members.size(), [&](size_t k, int worker) {
    check_interrupt();
    const StopCheckScope stoppable(stop_check_);
    const Member& m = members[k];
    size_t current = m.items.front();
    try {
      const auto phenotype = phenotype_of(m.source, worker);
      for (const size_t i : m.items) {
        current = i;
        results[i] = ItemResult{task_->score(phenotype), 0, {}};
      }
    } catch (...) {
      rethrow_for_item(items[current], std::current_exception());
    }
  });
}

void LocalExecutor::score_networks(const std::vector<Member>& members, std::span<const WorkItem> items,
                                   std::span<ItemResult> results) {
  pool_.parallel_for(members.size(), [&](size_t k, int worker) {
    check_interrupt();
    const StopCheckScope stoppable(stop_check_);
    const Member& m = members[k];
    size_t current = m.items.front();
    try {
      const auto weights = genome::transformer_weights(*genome_, genotype_of(m.source, worker));
      for (const size_t i : m.items) {
        current = i;
        results[i] = ItemResult{task_->score_network(weights), 0, {}};
      }
    } catch (...) {
      rethrow_for_item(items[current], std::current_exception());
    }
  });
}

void LocalExecutor::run_episodes(const std::vector<Member>& members, std::span<const WorkItem> items,
                                 std::span<ItemResult> results) {
  const size_t net_bytes =
      std::max<size_t>(1, genome_->phenotype_size() * sizeof(float) * network_copies(genome_->kernel_version()));
  const size_t chunk = std::max<size_t>(static_cast<size_t>(pool_.size()), options_.network_budget_bytes / net_bytes);
  std::vector<std::unique_ptr<const genome::PolicyNetwork>> nets;  // an nn::Mlp, or an nn::ConvNet
  std::vector<std::pair<size_t, size_t>> episodes;  // (member in chunk, item index)
  for (size_t first = 0; first < members.size(); first += chunk) {
    const size_t n = std::min(chunk, members.size() - first);
    nets.clear();
    nets.resize(n);
    pool_.parallel_for(n, [&](size_t k, int worker) {
      check_interrupt();
      const Member& m = members[first + k];
      try {
        nets[k] = genome::build_policy_network(genome_->architecture(), phenotype_of(m.source, worker),
                                               genome_->kernel_version());
      } catch (...) {
        rethrow_for_item(items[m.items.front()], std::current_exception());
      }
    });
    episodes.clear();
    for (size_t k = 0; k < n; ++k) {
      for (const size_t i : members[first + k].items) episodes.emplace_back(k, i);
    }
    pool_.parallel_for(episodes.size(), [&](size_t j, int) {
      check_interrupt();
      const StopCheckScope stoppable(stop_check_);
      const auto [k, i] = episodes[j];
      try {
        const auto policy = nets[k]->make_policy();
        const auto r = task_->run_episode(*policy, items[i].episode_seed);
        results[i] = ItemResult{r.reward, r.steps, {}};
      } catch (...) {
        rethrow_for_item(items[i], std::current_exception());
      }
    });
  }
}

void LocalExecutor::advance_parents(std::span<const evolve::Slot> sources) {
  if (genome_ == nullptr) fail(ErrorCode::kInternal, "LocalExecutor::advance_parents before begin_run");
  std::vector<GenotypePtr> next(sources.size());
  pool_.parallel_for(sources.size(), [&](size_t k, int) {
    check_interrupt();
    next[k] = derive_genotype(*genome_, sources[k], parents_);
  });
  parents_ = std::move(next);
}

void LocalExecutor::advance_center(std::span<const evolve::Slot> members, std::span<const double> fitness) {
  if (!es_ || parents_.size() != 1) fail(ErrorCode::kInternal, "LocalExecutor::advance_center outside an ES run");
  check_interrupt();
  parents_.front() = advance_es_center(*es_, parents_.front(), members, fitness,
                                       [this](size_t n, const std::function<void(size_t, int)>& fn) {
                                         pool_.parallel_for(n, fn);
                                       });
}

std::shared_ptr<const es::OptimizerState> LocalExecutor::shared_es_state() const {
  return es_ ? std::make_shared<const es::OptimizerState>(es_->state) : nullptr;
}

double LocalExecutor::memory_bytes(const genome::Genome& genome, const evolve::GaSettings& ga, bool scores_phenotype,
                                   int threads, const Options& options) {
  const double g = static_cast<double>(genome.genotype_size()) * sizeof(float);
  const double p = static_cast<double>(genome.phenotype_size()) * sizeof(float);
  const double w = std::max(1, threads);
  const double scratch = genome.phenotype_is_genotype() ? g : g + p;  // the genotype serves as phenotype
  double bytes = 2.0 * ga.truncation * g + w * scratch;
  if (!scores_phenotype) {
    // Networks in flight: a chunk of max(threads, budget / network) members, at most the population.
    const double net = p * network_copies(genome.kernel_version());
    const double chunk = std::min<double>(
        ga.population, std::max(w, std::floor(static_cast<double>(options.network_budget_bytes) / net)));
    bytes += chunk * net;
  }
  return bytes;
}

}  // namespace seedline::runner
