#include "evolve/ga.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "evolve/seeds.hpp"
#include "util/error.hpp"

namespace seedline::evolve {

std::vector<Slot> plan_generation(uint64_t run_seed, int generation, const GaSettings& ga, int num_parents) {
  std::vector<Slot> slots(static_cast<size_t>(ga.population));
  if (generation == 0) {
    for (int i = 0; i < ga.population; ++i) {
      slots[i] = {Slot::Kind::kRoot, -1, derive(run_seed, Stream::kRootSeed, 0, static_cast<uint32_t>(i))};
    }
    return slots;
  }
  if (num_parents < 1) fail(ErrorCode::kInternal, "plan_generation: no parents for generation " + std::to_string(generation));
  const int elites = std::min(ga.elites, num_parents);
  for (int i = 0; i < elites; ++i) slots[i] = {Slot::Kind::kElite, i, 0};
  const auto g = static_cast<uint64_t>(generation);
  for (int i = elites; i < ga.population; ++i) {
    const auto child = static_cast<uint32_t>(i - elites);
    const int parent = static_cast<int>(
        uniform_below(derive(run_seed, Stream::kParentPick, g, child), static_cast<uint32_t>(num_parents)));
    slots[i] = {Slot::Kind::kChild, parent, derive(run_seed, Stream::kChildSeed, g, child)};
  }
  return slots;
}

uint64_t episode_seed(uint64_t run_seed, int generation, int stage, int episode) {
  return derive(run_seed, Stream::kEpisodeSeed, static_cast<uint64_t>(generation),
                (static_cast<uint32_t>(stage) << 16) + static_cast<uint32_t>(episode));
}

int stage_episodes(const GaSettings& ga, int stage) {
  if (ga.elite_selection && static_cast<size_t>(stage) == ga.stages.size()) return ga.elite_selection->episodes;
  if (stage < 0 || static_cast<size_t>(stage) >= ga.stages.size()) {
    fail(ErrorCode::kInternal, "stage " + std::to_string(stage) + " of " + std::to_string(ga.stages.size()));
  }
  return ga.stages[static_cast<size_t>(stage)].evaluations;
}

double Evaluation::fitness() const {
  return episodes == 0 ? std::numeric_limits<double>::quiet_NaN() : reward_sum / episodes;
}

std::vector<int> rank(std::span<const int> members, std::span<const Evaluation> evaluations) {
  std::vector<int> order(members.begin(), members.end());
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const double fa = evaluations[a].fitness(), fb = evaluations[b].fitness();
    const bool na = std::isnan(fa), nb = std::isnan(fb);
    if (na != nb) return nb;  // the non-NaN one first
    if (!na && fa != fb) return fa > fb;
    return a < b;
  });
  return order;
}

SelectionResult evaluate_and_select(int population, const GaSettings& ga, const StageEvaluator& evaluate) {
  SelectionResult result;
  result.evaluations.assign(static_cast<size_t>(population), Evaluation{});
  std::vector<int> members(static_cast<size_t>(population));
  std::iota(members.begin(), members.end(), 0);
  for (size_t s = 0; s < ga.stages.size(); ++s) {
    evaluate(members, static_cast<int>(s), result.evaluations);
    for (int m : members) result.evaluations[m].stage = static_cast<int>(s);
    auto ranked = rank(members, result.evaluations);
    ranked.resize(std::min(ranked.size(), static_cast<size_t>(ga.stages[s].keep)));
    members = std::move(ranked);
  }
  if (ga.elite_selection) {
    // The Deep GA's elite choice: more episodes for the best candidates, then re-rank them.
    const auto n = std::min(members.size(), static_cast<size_t>(ga.elite_selection->candidates));
    const std::vector<int> candidates(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(n));
    const int stage = static_cast<int>(ga.stages.size());
    evaluate(candidates, stage, result.evaluations);
    for (int m : candidates) result.evaluations[m].stage = stage;
    const auto reranked = rank(candidates, result.evaluations);
    std::copy(reranked.begin(), reranked.end(), members.begin());
  }
  result.parents = std::move(members);
  return result;
}

Summary summarize(std::span<const Evaluation> evaluations, int best_index) {
  Summary s;
  std::vector<double> f;
  f.reserve(evaluations.size());
  for (const auto& e : evaluations) {
    s.evaluations += e.episodes;
    s.steps += e.steps;
    if (!std::isnan(e.fitness())) f.push_back(e.fitness());
  }
  s.best = evaluations[static_cast<size_t>(best_index)].fitness();
  if (f.empty()) return s;
  const double n = static_cast<double>(f.size());
  s.mean = std::accumulate(f.begin(), f.end(), 0.0) / n;
  double ss = 0;
  for (double v : f) ss += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(ss / n);
  std::sort(f.begin(), f.end());
  const size_t mid = f.size() / 2;
  s.median = f.size() % 2 ? f[mid] : (f[mid - 1] + f[mid]) / 2;
  return s;
}

}  // namespace seedline::evolve
