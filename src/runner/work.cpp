#include "runner/work.hpp"

#include "evolve/experiment.hpp"
#include "util/error.hpp"

namespace seedline::runner {

std::string describe(const WorkItem& item) {
  std::string who = "member " + std::to_string(item.member) + " (";
  switch (item.source.kind) {
    case evolve::Slot::Kind::kRoot: who += "root, seed " + std::to_string(item.source.seed); break;
    case evolve::Slot::Kind::kElite: who += "elite, parent " + std::to_string(item.source.parent); break;
    case evolve::Slot::Kind::kChild:
      who += "child of parent " + std::to_string(item.source.parent) + ", seed " + std::to_string(item.source.seed);
      break;
    case evolve::Slot::Kind::kMember:
      who += std::string(item.source.sign < 0 ? "-" : "+") + "perturbation of the center, seed " +
             std::to_string(item.source.seed);
      break;
  }
  return who + "), stage " + std::to_string(item.stage) + ", episode " + std::to_string(item.episode);
}

void rethrow_for_item(const WorkItem& item, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const RunInterrupted&) {
    throw;
  } catch (const Error& e) {
    fail(e.code(), describe(item) + ": " + e.what());
  } catch (const std::exception& e) {
    fail(ErrorCode::kFailedPrecondition, describe(item) + ": " + e.what());
  } catch (...) {
    fail(ErrorCode::kFailedPrecondition, describe(item) + ": unknown error");
  }
}

GenotypePtr derive_genotype(const genome::Genome& genome, const evolve::Slot& source,
                            std::span<const GenotypePtr> parents, const es::Perturbation* perturbation) {
  const auto parent = [&]() -> const GenotypePtr& {
    if (source.parent < 0 || static_cast<size_t>(source.parent) >= parents.size()) {
      fail(ErrorCode::kInternal, "parent slot " + std::to_string(source.parent) + " of " +
                                     std::to_string(parents.size()) + " parents");
    }
    return parents[static_cast<size_t>(source.parent)];
  };
  switch (source.kind) {
    case evolve::Slot::Kind::kRoot: return std::make_shared<const std::vector<float>>(genome.init(source.seed));
    case evolve::Slot::Kind::kElite: return parent();
    case evolve::Slot::Kind::kChild: {
      const auto& p = parent();
      auto child = std::make_shared<std::vector<float>>(p->size());
      genome.mutate_into(*p, source.seed, *child);
      return child;
    }
    case evolve::Slot::Kind::kMember: {
      if (perturbation == nullptr) fail(ErrorCode::kInternal, "an ES member slot outside an ES run");
      const auto& center = parent();
      auto member = std::make_shared<std::vector<float>>(center->size());
      perturbation->perturb(*center, source.seed, source.sign, *member);
      return member;
    }
  }
  fail(ErrorCode::kInternal, "unknown slot kind");
}

void Executor::advance_center(std::span<const evolve::Slot>, std::span<const double>) {
  fail(ErrorCode::kUnimplemented, "this executor does not run evolution strategies");
}

std::unique_ptr<EsWork> es_work_for(const RunSetup& setup, const genome::Genome& genome) {
  const auto config = evolve::ConditionConfig::from_json(setup.condition);
  if (!config.algorithm.is_es()) return nullptr;
  auto es = std::make_unique<EsWork>();
  es->settings = config.algorithm.es;
  es->perturbation = std::make_unique<es::Perturbation>(genome, es->settings);
  es->state = setup.es_state ? *setup.es_state : es::initial_state(es->settings, genome.genotype_size());
  return es;
}

GenotypePtr advance_es_center(EsWork& es, const GenotypePtr& center, std::span<const evolve::Slot> members,
                              std::span<const double> fitness, const es::ParallelFor& parallel) {
  std::vector<es::Member> plan(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].kind != evolve::Slot::Kind::kMember || members[i].parent != 0) {
      fail(ErrorCode::kInternal, "advance_center: slot " + std::to_string(i) + " is not an ES member of the center");
    }
    plan[i].seed = members[i].seed;
    plan[i].sign = members[i].sign;
    plan[i].perturbation = es.settings.antithetic ? static_cast<int>(i / 2) : static_cast<int>(i);
  }
  auto next = std::make_shared<std::vector<float>>(*center);
  es::update_center(es.settings, *es.perturbation, plan, fitness, *next, es.state, parallel);
  return next;
}

std::vector<WorkItem> stage_items(std::span<const int> members, std::span<const evolve::Slot> slots, int stage,
                                  int episodes, bool scores_phenotype, uint64_t run_seed, int generation) {
  const int per_member = scores_phenotype ? 1 : episodes;
  std::vector<WorkItem> items;
  items.reserve(members.size() * static_cast<size_t>(per_member));
  for (const int m : members) {
    for (int e = 0; e < per_member; ++e) {
      WorkItem item;
      item.member = m;
      item.source = slots[static_cast<size_t>(m)];
      item.stage = stage;
      item.episode = e;
      item.episode_seed = evolve::episode_seed(run_seed, generation, stage, e);
      items.push_back(item);
    }
  }
  return items;
}

void accumulate(std::span<const WorkItem> items, std::span<const ItemResult> results,
                std::span<evolve::Evaluation> out) {
  for (size_t i = 0; i < items.size(); ++i) {
    evolve::Evaluation& e = out[static_cast<size_t>(items[i].member)];
    e.reward_sum += results[i].reward;
    e.episodes += 1;
    e.steps += results[i].steps;
  }
}

}  // namespace seedline::runner
