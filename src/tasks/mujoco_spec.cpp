// The `mujoco` task's fields (docs/tasks.md), and the shape-only task that stands in for it where
// only a genome is needed. Built with or without MuJoCo, so a binary without it still reads
// stored mujoco runs and names bad fields.
#include <cmath>

#include "tasks/mujoco_task.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"

namespace seedline::tasks {
namespace {

constexpr int64_t kMaxEpisodes = 100000;
constexpr int64_t kMaxStepsLimit = 1000000000;
constexpr int64_t kMaxSize = int64_t{1} << 24;

// A mujoco task known by its recorded sizes only: enough for a genome, not for an episode.
class MujocoShapeTask final : public Task {
 public:
  explicit MujocoShapeTask(MujocoSpec spec) : Task(spec.episodes), spec_(std::move(spec)) {}
  std::string name() const override { return "mujoco"; }
  int observation_size() const override { return *spec_.observation_size; }
  int action_size() const override { return *spec_.actions; }
  ActionKind action_kind() const override { return ActionKind::kContinuous; }
  bool scores_phenotype() const override { return false; }
  nlohmann::json resolved_spec() const override { return mujoco_resolved_spec(spec_); }
  EpisodeResult run_episode(Policy& /*policy*/, uint64_t /*episode_seed*/) const override {
    failed_precondition("task 'mujoco' was built from its recorded sizes only; load the model to run episodes");
  }

 private:
  MujocoSpec spec_;
};

}  // namespace

MujocoSpec parse_mujoco_spec(const nlohmann::json& json) {
  FieldReader r(json, "task");
  r.string("type");
  MujocoSpec spec;
  spec.env = r.string("env", spec.env);
  if (spec.env != "humanoid") {
    invalid_argument(r.field("env") + ": unknown environment '" + spec.env + "' (one of humanoid)");
  }
  spec.model = r.string("model", spec.model);
  if (spec.model.empty() || spec.model.find('\0') != std::string::npos) {
    invalid_argument(r.field("model") + ": expected the path of a MuJoCo XML model (got " + describe(json["model"]) + ")");
  }
  spec.episodes = static_cast<int>(r.integer("episodes", 1, 1, kMaxEpisodes));
  spec.max_steps = r.integer("max_steps", spec.max_steps, 1, kMaxStepsLimit);
  spec.frame_skip = static_cast<int>(r.integer("frame_skip", spec.frame_skip, 1, mujoco::kMaxFrameSkip));
  spec.torso = r.string("torso", spec.torso);
  if (spec.torso.empty()) invalid_argument(r.field("torso") + ": expected a body name of the model (got \"\")");
  if (const auto z = r.raw("healthy_z")) {
    const bool pair = z->is_array() && z->size() == 2 && (*z)[0].is_number() && (*z)[1].is_number();
    if (!pair || !std::isfinite((*z)[0].get<double>()) || !std::isfinite((*z)[1].get<double>())) {
      invalid_argument(r.field("healthy_z") + ": expected [low, high], two finite heights in metres (got " +
                       describe(*z) + ")");
    }
    spec.healthy_z = {(*z)[0].get<double>(), (*z)[1].get<double>()};
    if (!(spec.healthy_z[0] < spec.healthy_z[1])) {
      invalid_argument(r.field("healthy_z") + ": low must be below high (got " + describe(*z) + ")");
    }
  }
  if (r.has("observation_size")) spec.observation_size = static_cast<int>(r.integer("observation_size", 0, 1, kMaxSize));
  if (r.has("actions")) spec.actions = static_cast<int>(r.integer("actions", 0, 1, kMaxSize));
  r.finish();
  return spec;
}

nlohmann::json mujoco_resolved_spec(const MujocoSpec& spec) {
  nlohmann::json j = {{"type", "mujoco"},
                      {"env", spec.env},
                      {"model", spec.model},
                      {"episodes", spec.episodes},
                      {"max_steps", spec.max_steps},
                      {"frame_skip", spec.frame_skip},
                      {"torso", spec.torso},
                      {"healthy_z", {spec.healthy_z[0], spec.healthy_z[1]}}};
  if (spec.observation_size) j["observation_size"] = *spec.observation_size;
  if (spec.actions) j["actions"] = *spec.actions;
  return j;
}

std::unique_ptr<Task> make_mujoco_task(const nlohmann::json& json, TaskData data) {
  MujocoSpec spec = parse_mujoco_spec(json);
  if (data == TaskData::kSpecOnly && spec.observation_size && spec.actions) {
    return std::make_unique<MujocoShapeTask>(std::move(spec));
  }
  return load_mujoco_task(std::move(spec));
}

}  // namespace seedline::tasks
