// MujocoTask: the `mujoco` task family, run in process on the MuJoCo C API (Debian's
// libmujoco-dev; docs/tasks.md "mujoco"). `env: "humanoid"` is locomotion with the reward terms
// of gymnasium's Humanoid: 1.25 x the centre of mass's forward (x) velocity, 5 per step for
// staying healthy, minus 0.1 x sum(ctrl^2); the episode ends when the torso's height leaves
// `healthy_z`. Any MuJoCo XML model whose first joint is a free joint (the root) runs under it
// by naming its torso body and height range.
//
// One step of the task (an "environment step") is: observation (qpos without the root's x/y,
// then qvel, as float32), the policy's outputs clipped to [-1, 1] (NaN -> 0) and mapped onto
// each actuator's ctrlrange, frame_skip calls of mj_step, mj_kinematics (so the centre of mass
// and the torso height are those of the new state), reward, termination check. The initial
// state is qpos0 + U(-0.01, 0.01) per qpos entry (EpisodeRandom draws 0..nq-1) and
// U(-0.01, 0.01) per qvel entry (draws nq..nq+nv-1), then mj_forward.
//
// Thread-safety: the mjModel is loaded once by make_mujoco_task and only read afterwards
// (mj_step takes it const). run_episode is const and may run on any number of threads at once:
// each call takes an mjData from a mutex-guarded free list (making one only when every existing
// one is in use, so there is one per concurrently running thread), resets it with mj_resetData
// and returns it at the end; no allocation happens per step. An episode's result depends only on
// the policy and the episode seed. MuJoCo's process-wide warning and error hooks are installed
// once (warnings are counted per mjData instead of printed; an engine error is thrown as
// seedline::Error(kInternal) and the mjData involved is discarded).
// Failure: make_mujoco_task throws Error(kInvalidArgument) naming the field ("task.frame_skip:
// 0 is out of range [1, 1000]", "task.torso: no body named 'chest' in model ...", a model that
// does not load gives MuJoCo's own error text). Errors thrown by the Policy propagate.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tasks/task.hpp"

struct mjModel_;
struct mjData_;

namespace seedline::tasks {

namespace mujoco {
inline constexpr const char* kDefaultHumanoidModel = "/usr/share/mujoco/model/humanoid/humanoid.xml";
inline constexpr int64_t kDefaultMaxSteps = 1000;
inline constexpr int kDefaultFrameSkip = 5;
inline constexpr int kMaxFrameSkip = 1000;
// The healthy torso height for the Debian humanoid: it stands with its torso at about 1.28 m
// (measured: dropped from its initial 1.5 m onto straight legs) and, without control, crosses
// 1.0 m about 0.85 s in on its way down to about 0.27 m lying. docs/tasks.md gives the reasons.
inline constexpr double kDefaultHealthyLow = 1.0;
inline constexpr double kDefaultHealthyHigh = 2.0;
// gymnasium's Humanoid weights.
inline constexpr double kForwardRewardWeight = 1.25;
inline constexpr double kHealthyReward = 5.0;
inline constexpr double kControlCostWeight = 0.1;
inline constexpr double kResetNoise = 1e-2;
}  // namespace mujoco

struct MujocoSpec {
  std::string env = "humanoid";
  std::string model = mujoco::kDefaultHumanoidModel;
  int episodes = 1;
  int64_t max_steps = mujoco::kDefaultMaxSteps;
  int frame_skip = mujoco::kDefaultFrameSkip;
  std::string torso = "torso";
  std::array<double, 2> healthy_z = {mujoco::kDefaultHealthyLow, mujoco::kDefaultHealthyHigh};
  // The model's sizes as recorded in a resolved spec: checked against the model when it is
  // loaded, and enough to build a genome without the model (TaskData::kSpecOnly).
  std::optional<int> observation_size;
  std::optional<int> actions;
};

// Whether this binary was built with MuJoCo (false: make_mujoco_task refuses to load a model).
bool mujoco_built();

// Validates the fields of a `{"type": "mujoco", ...}` object (unknown fields refused).
MujocoSpec parse_mujoco_spec(const nlohmann::json& spec);

// The task: a MujocoTask with its model loaded, or, for TaskData::kSpecOnly when the spec
// records observation_size and actions (every resolved spec does), a shape-only task that
// needs neither the model file nor MuJoCo (export, inspect and the dashboard read stored runs
// with it; its run_episode throws kFailedPrecondition).
std::unique_ptr<Task> make_mujoco_task(const nlohmann::json& spec, TaskData data);
// Loads the model: a MujocoTask, or Error(kUnimplemented) in a binary built without MuJoCo.
std::unique_ptr<Task> load_mujoco_task(MujocoSpec spec);
// The resolved spec of a mujoco task (all fields, sizes included).
nlohmann::json mujoco_resolved_spec(const MujocoSpec& spec);

class MujocoTask final : public Task {
 public:
  // Loads spec.model; throws Error(kInvalidArgument) naming the field on a bad model, torso or
  // recorded size.
  explicit MujocoTask(MujocoSpec spec);
  ~MujocoTask() override;

  std::string name() const override { return "mujoco"; }
  int observation_size() const override { return observation_size_; }
  int action_size() const override { return action_size_; }
  ActionKind action_kind() const override { return ActionKind::kContinuous; }
  bool scores_phenotype() const override { return false; }
  nlohmann::json resolved_spec() const override;
  EpisodeResult run_episode(Policy& policy, uint64_t episode_seed) const override;

  const MujocoSpec& spec() const { return spec_; }
  const mjModel_* model() const { return model_; }
  int torso_body() const { return torso_; }
  double dt() const;  // frame_skip x the model's timestep: the time of one environment step
  // The control an actuator receives for a raw network output (the action mapping).
  double control(int actuator, float output) const;
  // mjData objects made so far: at most the number of threads that ran episodes at once.
  size_t data_made() const;

 private:
  struct Workspace;
  std::unique_ptr<Workspace> acquire() const;
  void release(std::unique_ptr<Workspace> workspace) const;

  MujocoSpec spec_;
  mjModel_* model_ = nullptr;
  int torso_ = -1;
  int observation_size_ = 0;
  int action_size_ = 0;
  double total_mass_ = 0;
  std::vector<double> ctrl_center_, ctrl_half_;  // per actuator: the mapping of [-1, 1]
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Workspace>> free_;
  mutable size_t made_ = 0;
};

}  // namespace seedline::tasks
