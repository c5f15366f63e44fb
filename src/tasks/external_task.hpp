// ExternalTask: the `external` task, whose episodes run in the user's own evaluator
// processes (docs/tasks.md, docs/evaluator-protocol.md). This object only holds the
// validated spec; the runner starts the processes (evaluator::EvaluatorPool) when it drives
// a run, so building the task (at submit, for an export) never starts a program.
//
// With `observation_shape` the network is a policy: its input is the observation (C x H x W
// or n values) and its last layer has `actions` outputs. Without it the evaluator scores the
// weights alone and, as for function tasks, the first layer gives its own "in"
// (scores_phenotype() is true for the architecture's sake).
//
// Thread-safety: immutable. Failure: make_external_task throws seedline::Error(kInvalidArgument)
// naming the field ("task.workers: 0 is out of range [1, 256]"); run_episode and score throw
// kFailedPrecondition (the evaluator processes do that work).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tasks/task.hpp"

namespace seedline::tasks {

struct ExternalSpec {
  std::vector<std::string> command;               // required
  int workers = 1;                                // evaluator processes
  int episodes = 1;                               // default evaluations per stage
  double timeout = 60;                            // seconds per item
  double startup_timeout = 60;                    // seconds from start to the handshake
  int retries = 2;                                // extra attempts of a crashed or hung item
  std::optional<std::vector<int64_t>> observation_shape;  // [n] or [C, H, W]
  std::optional<int> actions;                     // required with observation_shape
};

class ExternalTask final : public Task {
 public:
  explicit ExternalTask(ExternalSpec spec);
  const ExternalSpec& spec() const { return spec_; }

  std::string name() const override { return "external"; }
  int observation_size() const override;
  // [C, H, W] reaches the network's conv layers as an image (docs/networks.md).
  std::vector<int64_t> observation_shape() const override {
    return spec_.observation_shape.value_or(std::vector<int64_t>{});
  }
  int action_size() const override { return spec_.actions.value_or(0); }
  ActionKind action_kind() const override { return ActionKind::kContinuous; }
  bool scores_phenotype() const override { return !spec_.observation_shape.has_value(); }
  bool scores_once() const override { return false; }  // one item per episode, always
  nlohmann::json resolved_spec() const override;
  EpisodeResult run_episode(Policy& policy, uint64_t episode_seed) const override;
  double score(std::span<const float> parameters) const override;

 private:
  ExternalSpec spec_;
};

// The command with its relative paths made absolute against the current directory (at
// submission, like init.from; docs/tasks.md): argv[0] when it contains '/', and every later
// argument that does not start with '-' and names an existing file. Other arguments (numbers,
// names, "python3" looked up in PATH) are kept as written.
std::vector<std::string> absolute_command(const std::vector<std::string>& command);

// Parses {"type": "external", ...}; every field but `command` has a default (docs/tasks.md).
std::unique_ptr<Task> make_external_task(const nlohmann::json& spec);

}  // namespace seedline::tasks
