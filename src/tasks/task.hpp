// Fitness tasks: what an individual is scored on. Fitness is always maximised.
//
// Three kinds exist. Environment tasks (cartpole, pendulum) run episodes in which a Policy
// maps observations to raw network outputs; the task turns outputs into actions. Function
// tasks (sphere, rastrigin) score the flat phenotype parameters themselves
// (scores_phenotype() is true) and have no observations. Network tasks (language_model)
// score a whole network on a fixed data set (scores_network() is true); they are
// deterministic, like function tasks.
//
// Thread-safety: a Task is immutable after make_task; run_episode and score are const, keep
// no shared mutable state and may run concurrently on any number of threads. A Policy is
// per-thread (act is non-const: it may own scratch memory).
// Stopping: environment tasks call poll_stop() (util/stop_check.hpp) every kStopPollSteps
// steps of an episode, so a stop request installed by the runner ends a long episode by an
// exception within a few milliseconds; the episode's arithmetic is the same either way.
// Failure: make_task throws seedline::Error(kInvalidArgument) naming the field, e.g.
// "task.type: unknown task 'cartpol'" (a network task's data file adds its own errors, see
// language_model.hpp). Calling run_episode, score or score_network on a task of another kind
// throws kFailedPrecondition. Errors thrown by Policy::act propagate.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace seedline::nn {
struct TransformerWeights;
}

namespace seedline::tasks {

enum class ActionKind { kDiscrete, kContinuous };

// Steps between two stop polls inside an episode: a poll costs a thread-local load, a step
// of the smallest policy about a microsecond.
inline constexpr int64_t kStopPollSteps = 64;

struct EpisodeResult {
  double reward = 0;  // sum of the per-step rewards
  int64_t steps = 0;  // environment steps taken, including a terminating one
};

// What a task asks of a controller: raw network outputs for an observation.
// obs.size() == Task::observation_size(), out.size() == Task::action_size().
class Policy {
 public:
  virtual ~Policy() = default;
  virtual void act(std::span<const float> obs, std::span<float> out) = 0;
};

class Task {
 public:
  virtual ~Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  virtual std::string name() const = 0;
  virtual int observation_size() const = 0;   // 0 for function tasks
  // The observation as the network's input shape: {observation_size()} for flat observations
  // (the default; empty for function tasks), {C, H, W} for pixels (conv layers read it).
  virtual std::vector<int64_t> observation_shape() const;
  virtual int action_size() const = 0;        // network outputs expected; 0 for function tasks
  virtual ActionKind action_kind() const = 0; // function tasks report kContinuous
  virtual bool scores_phenotype() const = 0;  // true for sphere/rastrigin
  // True when one evaluation per stage says all there is (deterministic function tasks), so
  // the runner sends one work item per member and stage instead of one per episode.
  // Default: scores_phenotype(); the external task says false (its evaluator may draw on the seed).
  virtual bool scores_once() const { return scores_phenotype(); }
  virtual bool scores_network() const { return false; }  // true for language_model
  // What the fitness means to a reader: "fitness", or "loss" when fitness is minus a loss
  // (curves may then be shown as -fitness).
  virtual std::string fitness_label() const { return "fitness"; }
  // The spec with every default filled in, e.g. {"type":"cartpole","episodes":1,"max_steps":500};
  // make_task(resolved_spec()) builds an equal task.
  virtual nlohmann::json resolved_spec() const = 0;

  // Environment tasks: one episode whose initial state is derived from episode_seed alone.
  virtual EpisodeResult run_episode(Policy& policy, uint64_t episode_seed) const;
  // Function tasks: fitness of the flat phenotype parameters (the negated cost).
  virtual double score(std::span<const float> parameters) const;
  // Network tasks: fitness of a whole transformer.
  virtual double score_network(const nn::TransformerWeights& model) const;

  // Episodes per evaluation, from the spec (the runner averages over them).
  int episodes() const { return episodes_; }

 protected:
  explicit Task(int episodes) : episodes_(episodes) {}

 private:
  int episodes_;
};

// Whether make_task reads a network task's data file (kLoad) or only checks the fields
// (kSpecOnly: enough to build a genome, e.g. for export or `seedline inspect`).
enum class TaskData { kLoad, kSpecOnly };

// Builds a task from the "task" object of an experiment file. Fields (docs/tasks.md):
//   type       required: "cartpole" | "pendulum" | "sphere" | "rastrigin" | "external" | "language_model"
//   episodes   default 1, 1..100000 (function tasks: only 1, they are deterministic)
//   max_steps  environment tasks only; default 500 (cartpole) / 200 (pendulum)
//   shift      function tasks only; default 0: the optimum sits at x_i = shift
//   data, sequences, bytes, xxh64   language_model only (language_model.hpp)
// `external` has its own fields (tasks/external_task.hpp). Unknown fields are errors.
std::unique_ptr<Task> make_task(const nlohmann::json& spec, TaskData data = TaskData::kLoad);

// The fitness label (Task::fitness_label) of a stored task spec, without reading data files;
// "fitness" when the spec does not build a task.
std::string fitness_label(const nlohmann::json& spec);

}  // namespace seedline::tasks
