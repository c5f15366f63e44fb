// The genetic algorithm of docs/runner.md ("A generation"), as pure functions the runner drives.
//
// Per generation: evaluate stage by stage, truncating after each stage; the survivors of the
// last stage are the parents (best first); the first `elites` parents are carried unchanged
// into the next generation; the rest of it is children of uniformly chosen parents, each with
// a fresh seed. Every random choice is derived from (run seed, generation, index) (seeds.hpp),
// so planning a generation needs nothing but its number and the previous parents.
// Ranking is by fitness, higher first; ties go to the lower population index; NaN ranks last.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "evolve/experiment.hpp"

namespace seedline::evolve {

// One member of a generation's population.
// An evolution strategy's member (kMember, docs/es.md) is its center (parent slot 0) plus
// sign * sigma * eps(seed).
struct Slot {
  enum class Kind { kRoot, kElite, kChild, kMember };
  Kind kind = Kind::kRoot;
  int parent = -1;    // index into the previous generation's parents (elites, children, members)
  uint64_t seed = 0;  // init seed (root), mutation seed (child) or perturbation seed (member)
  float sign = 1;     // members: +1 or -1 (antithetic partner); 1 otherwise
};

// Generation 0: `population` roots. Later generations: the elites (parents[0..elites)) first,
// then population - elites children of parents picked uniformly from num_parents.
std::vector<Slot> plan_generation(uint64_t run_seed, int generation, const GaSettings& ga, int num_parents);

// The seed of episode `episode` of stage `stage` in `generation`. All members of a generation
// meet the same episodes (common random numbers), so their ranking compares like with like.
uint64_t episode_seed(uint64_t run_seed, int generation, int stage, int episode);

// Episodes each member that reaches stage `stage` plays there: ga.stages[stage].evaluations;
// stage ga.stages.size() is the elite re-evaluation (ga.elite_selection->episodes).
int stage_episodes(const GaSettings& ga, int stage);

struct Evaluation {
  double reward_sum = 0;  // over all episodes so far
  int episodes = 0;
  int64_t steps = 0;
  int stage = -1;  // last stage reached
  double fitness() const;  // mean reward over the episodes so far (NaN before any)
};

// Evaluates `members` (population indices) for stage `stage`, adding that stage's episodes
// to out[member]. Implementations parallelize; they must write only out[m] for m in members.
using StageEvaluator = std::function<void(std::span<const int> members, int stage, std::span<Evaluation> out)>;

struct SelectionResult {
  std::vector<Evaluation> evaluations;  // per population member
  std::vector<int> parents;             // population indices of the last stage's survivors, best first
};

// Runs every stage of `ga` over a population of `population` members. With
// ga.elite_selection, the first `candidates` parents are then evaluated once more as stage
// ga.stages.size() and re-ranked among themselves (by their mean over all their episodes),
// so the parents become [re-ranked candidates..., the other parents in stage order].
SelectionResult evaluate_and_select(int population, const GaSettings& ga, const StageEvaluator& evaluate);

// Best first by fitness; ties by lower index; NaN last.
std::vector<int> rank(std::span<const int> members, std::span<const Evaluation> evaluations);

struct Summary {
  double best = 0, mean = 0, median = 0, std = 0;  // std: population (ddof 0)
  int64_t evaluations = 0;                          // episodes run this generation
  int64_t steps = 0;
};
Summary summarize(std::span<const Evaluation> evaluations, int best_index);

}  // namespace seedline::evolve
