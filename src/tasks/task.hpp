// Fitness tasks: what an individual is scored on. Fitness is always maximised.
//
// Two kinds exist. Environment tasks (cartpole, pendulum) run episodes in which a Policy
// maps observations to raw network outputs; the task turns outputs into actions. Function
// tasks (sphere, rastrigin) score the flat phenotype parameters themselves
// (scores_phenotype() is true) and have no observations.
//
// Thread-safety: a Task is immutable after make_task; run_episode and score are const, keep
// no shared mutable state and may run concurrently on any number of threads. A Policy is
// per-thread (act is non-const: it may own scratch memory).
// Failure: make_task throws seedline::Error(kInvalidArgument) naming the field, e.g.
// "task.type: unknown task 'cartpol'". Calling run_episode on a function task or score on an
// environment task throws kFailedPrecondition. Errors thrown by Policy::act propagate.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace seedline::tasks {

enum class ActionKind { kDiscrete, kContinuous };

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
  // The spec with every default filled in, e.g. {"type":"cartpole","episodes":1,"max_steps":500};
  // make_task(resolved_spec()) builds an equal task.
  virtual nlohmann::json resolved_spec() const = 0;

  // Environment tasks: one episode whose initial state is derived from episode_seed alone.
  virtual EpisodeResult run_episode(Policy& policy, uint64_t episode_seed) const;
  // Function tasks: fitness of the flat phenotype parameters (the negated cost).
  virtual double score(std::span<const float> parameters) const;

  // Episodes per evaluation, from the spec (the runner averages over them).
  int episodes() const { return episodes_; }

 protected:
  explicit Task(int episodes) : episodes_(episodes) {}

 private:
  int episodes_;
};

// Builds a task from the "task" object of an experiment file. Fields (docs/tasks.md):
//   type       required: "cartpole" | "pendulum" | "sphere" | "rastrigin" | "external"
//   episodes   default 1, 1..100000 (function tasks: only 1, they are deterministic)
//   max_steps  environment tasks only; default 500 (cartpole) / 200 (pendulum)
//   shift      function tasks only; default 0: the optimum sits at x_i = shift
// `external` has its own fields (tasks/external_task.hpp). Unknown fields are errors.
std::unique_ptr<Task> make_task(const nlohmann::json& spec);

}  // namespace seedline::tasks
