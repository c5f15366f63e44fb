// The work interface: how a generation's evaluations leave the run driver and come back.
//
// A generation's work is a list of WorkItems. An item names a member by how its genotype is
// derived from the current parents (evolve::Slot: a root with its init seed, an elite =
// parent slot p itself, or a child = parent slot p + mutation(seed)), the stage, the episode
// within the stage and that episode's seed. An Executor turns items into ItemResults
// (reward, steps, optional named metrics). Only slots, seeds and episode seeds cross the
// interface, never genotypes or the database: an executor holds the current parents'
// genotypes itself, is given them once when a run starts (generation 0: none; on resume:
// rebuilt from the store by the coordinator), and at every generation boundary is told the
// new parents as Slots of the old ones, from which it derives them (docs/runner.md, "The work
// interface"). So an MPI rank or a pool of evaluator processes can implement it.
//
// Contract for every Executor:
//   - results[i] belongs to items[i]; a result may depend on nothing but the item, the run's
//     setup and the parents (never on which worker computed it), so a generation computes the
//     same bits on any number of threads, processes or machines;
//   - items of a function task (Task::scores_phenotype) have episode 0 and score the
//     phenotype once; so do items of a network task (Task::scores_network, the language
//     model), which score the member's whole network once; environment items run one
//     episode with the item's episode seed;
//   - the caller sums results per member in episode order; executors never aggregate.
// Evolution strategies (docs/es.md): the parents are one center (slot 0); members are
// kMember slots (center + sign * sigma * eps(seed)); at the generation boundary the
// coordinator calls advance_center with the members' fitnesses instead of advance_parents,
// and every executor applies the same fixed-order update (es::update_center) to its own copy
// of the center and optimizer state (RunSetup::es_state on resume).
// Thread-safety: an Executor is driven by one thread (the run's coordinator): begin_run, then
// evaluate/advance_parents (or advance_center) alternately, then end_run; calls never overlap. It may use any
// number of threads or processes inside a call.
// Failure: evaluate throws seedline::Error whose message starts with describe(item) of the
// failing item ("member 5 (child of parent 1, seed 123), stage 0, episode 1: <reason>"),
// keeping the code of an underlying seedline::Error (kFailedPrecondition otherwise); the
// first failure wins and the other results are unspecified. RunInterrupted is thrown when a
// stop was requested. After any throw the caller ends the run with end_run().
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "es/members.hpp"
#include "es/perturbation.hpp"
#include "es/update.hpp"
#include "evolve/ga.hpp"
#include "genome/genome.hpp"
#include "tasks/task.hpp"

namespace seedline::runner {

using GenotypePtr = std::shared_ptr<const std::vector<float>>;

// Thrown when a stop was requested or the run was lost while work was in flight.
struct RunInterrupted {};

// One unit of work: one episode of one member in one stage (function tasks: one score).
struct WorkItem {
  int member = 0;             // population index in the generation (for results and messages)
  evolve::Slot source;        // how the member's genotype derives from the current parents
  int stage = 0;              // 0..stages-1; ga.stages.size() is the elite re-evaluation
  int episode = 0;            // within the stage
  uint64_t episode_seed = 0;  // evolve::episode_seed(run seed, generation, stage, episode)
};

// A named number an evaluator reports besides the reward (e.g. "distance", "lives").
using Metric = std::pair<std::string, double>;

struct ItemResult {
  double reward = 0;             // the episode's return (function tasks: the score)
  int64_t steps = 0;             // environment steps (function tasks: 0)
  std::vector<Metric> metrics;   // optional, in the order the evaluator gave them
};

// Who evaluates a run's items outside seedline (an external task): what the evaluator
// reported in its handshake, and the command it runs.
struct EvaluatorInfo {
  std::string name;
  std::string version;
  uint32_t protocol = 0;
  std::vector<std::string> command;
};

// What an executor needs to know about a run. Remote executors rebuild the genome and task
// from `condition`, `noise_version` and `kernel_version`; in-process ones may use `genome` and `task`, which
// outlive the run (null when not available).
struct RunSetup {
  int64_t run_id = 0;
  nlohmann::json condition;  // evolve::ConditionConfig::to_json() of the run, task defaults filled in
  int noise_version = 1;
  int kernel_version = 1;  // the run's evaluation arithmetic (kernels/version.hpp)
  const genome::Genome* genome = nullptr;
  const tasks::Task* task = nullptr;
  // ES runs: the center's optimizer state (null: the initial state, generation 0).
  std::shared_ptr<const es::OptimizerState> es_state;
};

// An ES run's executor-side arithmetic: built from the RunSetup, null for GA runs.
struct EsWork {
  evolve::EsSettings settings;
  std::unique_ptr<es::Perturbation> perturbation;
  es::OptimizerState state;  // of the current center
};
std::unique_ptr<EsWork> es_work_for(const RunSetup& setup, const genome::Genome& genome);

// The next center: `center` after one update from `members` (kMember slots, member order)
// and their fitnesses; es.state advances with it. The same bits on any `parallel`.
GenotypePtr advance_es_center(EsWork& es, const GenotypePtr& center, std::span<const evolve::Slot> members,
                              std::span<const double> fitness, const es::ParallelFor& parallel);

class Executor {
 public:
  virtual ~Executor() = default;

  // A run starts (or resumes): its setup and its current parents' genotypes, best first.
  virtual void begin_run(const RunSetup& setup, std::span<const GenotypePtr> parents) = 0;
  // Evaluates `items`; results[i] for items[i] (results.size() == items.size()). Blocks.
  virtual void evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) = 0;
  // A generation boundary: new parent k is derived from the current parents by sources[k].
  virtual void advance_parents(std::span<const evolve::Slot> sources) = 0;
  // ES runs, at a generation boundary: the center (parent 0) takes one update from the
  // generation's members (kMember slots in member order) and their fitnesses (NaN for none).
  // Executors that cannot run ES throw kUnimplemented (at begin_run already, preferably).
  virtual void advance_center(std::span<const evolve::Slot> members, std::span<const double> fitness);
  // The parents' genotypes when this executor lives in the coordinator's process and may
  // share them (the coordinator then derives nothing itself); empty for remote executors.
  virtual std::vector<GenotypePtr> shared_parents() const { return {}; }
  // ES runs: the center's optimizer state when shared like shared_parents (else null). An
  // executor that runs ES shares both: the coordinator stores them and never updates a
  // center itself.
  virtual std::shared_ptr<const es::OptimizerState> shared_es_state() const { return nullptr; }
  // The evaluator processes' identity when this executor (or its share in this process)
  // runs them; valid between begin_run and end_run. Default: none.
  virtual std::optional<EvaluatorInfo> evaluator() const { return std::nullopt; }
  // The run ended (finished, failed, paused or lost): drop its parents.
  virtual void end_run() = 0;
};

// "member 5 (child of parent 1, seed 123), stage 0, episode 1": how errors name an item.
std::string describe(const WorkItem& item);

// Rethrows `error` (thrown while working on `item`) as a seedline::Error whose message starts
// with describe(item); keeps the code of a seedline::Error, else kFailedPrecondition.
// RunInterrupted passes through unchanged.
[[noreturn]] void rethrow_for_item(const WorkItem& item, std::exception_ptr error);

// The genotype of a member: roots init(seed), elites the parent's own genotype (shared, not
// copied), children parent + mutation(seed) (Genome::mutate_into), ES members the center +
// their perturbation (`perturbation` required for them).
GenotypePtr derive_genotype(const genome::Genome& genome, const evolve::Slot& source,
                            std::span<const GenotypePtr> parents, const es::Perturbation* perturbation = nullptr);

// The work of one stage for `members` (population indices into `slots`): one item per member
// and episode, member-major, episodes in order. Function and network tasks (deterministic:
// pass scores_phenotype = true) get one item per member.
std::vector<WorkItem> stage_items(std::span<const int> members, std::span<const evolve::Slot> slots, int stage,
                                  int episodes, bool scores_phenotype, uint64_t run_seed, int generation);

// Adds each result to its member's Evaluation in item order (so in episode order per member):
// reward_sum += reward, episodes += 1, steps += steps.
void accumulate(std::span<const WorkItem> items, std::span<const ItemResult> results,
                std::span<evolve::Evaluation> out);

}  // namespace seedline::runner
