// MujocoTask on the MuJoCo C API (compiled only when CMake found MuJoCo; no_mujoco.cpp stands in
// otherwise). The episode loop's definition is in mujoco_task.hpp and docs/tasks.md.
#include "tasks/mujoco_task.hpp"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>

#include "tasks/episode_random.hpp"
#include "util/error.hpp"
#include "util/stop_check.hpp"

namespace seedline::tasks {
namespace {

// MuJoCo's default handlers print and append to MUJOCO_LOG.TXT in the working directory, and
// the error handler then exits the process. Warnings are counted in each mjData (the episode
// loop reads the counters); an error becomes an exception the runner reports for its item.
void quiet_warning(const char* /*message*/) {}
[[noreturn]] void throw_error(const char* message) { fail(ErrorCode::kInternal, std::string("MuJoCo: ") + message); }

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_warning = quiet_warning;
    mju_user_error = throw_error;
  });
}

// MuJoCo's multi-line messages as one line.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += "; ";
    } else {
      out += c;
    }
  }
  return out;
}

// The x of the centre of mass: sum over bodies of mass x xipos, over the total mass, bodies in
// index order (world body 0 has no mass).
double com_x(const mjModel* m, const mjData* d, double total_mass) {
  double sum = 0;
  for (int b = 1; b < m->nbody; ++b) sum += m->body_mass[b] * d->xipos[3 * b];
  return sum / total_mass;
}

bool diverged(const mjData* d) {
  return d->warning[mjWARN_BADQACC].number > 0 || d->warning[mjWARN_BADQPOS].number > 0 ||
         d->warning[mjWARN_BADQVEL].number > 0;
}

}  // namespace

struct MujocoTask::Workspace {
  explicit Workspace(const mjModel* m) : data(mj_makeData(m)) {
    if (data == nullptr) fail(ErrorCode::kIOError, "MuJoCo: cannot allocate the simulation data (mj_makeData)");
  }
  ~Workspace() { mj_deleteData(data); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  mjData* data;
  std::vector<float> observation;
  std::vector<float> output;
};

bool mujoco_built() { return true; }

std::unique_ptr<Task> load_mujoco_task(MujocoSpec spec) { return std::make_unique<MujocoTask>(std::move(spec)); }

MujocoTask::MujocoTask(MujocoSpec spec) : Task(spec.episodes), spec_(std::move(spec)) {
  install_handlers();
  const std::string& path = spec_.model;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) invalid_argument("task.model: no such file '" + path + "'");
  if (std::filesystem::is_directory(path, ec)) invalid_argument("task.model: '" + path + "' is a directory, not a MuJoCo XML model");
  // MuJoCo reads the whole file into memory: a device or a huge file is refused first.
  if (!std::filesystem::is_regular_file(path, ec)) invalid_argument("task.model: '" + path + "' is not a regular file");
  constexpr std::uintmax_t kMaxModelBytes = std::uintmax_t{64} << 20;
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxModelBytes) {
    invalid_argument("task.model: '" + path + "' is larger than 64 MiB; a MuJoCo XML model is a few kilobytes");
  }
  char error[1000] = "";
  model_ = mj_loadXML(path.c_str(), nullptr, error, sizeof error);
  if (model_ == nullptr) {
    invalid_argument("task.model: MuJoCo cannot load '" + path + "': " +
                     (error[0] != '\0' ? one_line(error) : std::string("no reason given")));
  }
  try {
    const mjModel* m = model_;
    const std::string in_model = " in model '" + path + "'";
    if (m->njnt < 1 || m->jnt_type[0] != mjJNT_FREE || m->jnt_qposadr[0] != 0) {
      invalid_argument("task.model: the locomotion task needs the model's first joint to be a free joint (the root "
                       "body's position and orientation), which is not the case" + in_model);
    }
    if (m->nu < 1) invalid_argument("task.model: the model has no actuators to control" + in_model);
    torso_ = mj_name2id(m, mjOBJ_BODY, spec_.torso.c_str());
    if (torso_ < 1) {
      std::string bodies;
      for (int b = 1; b < m->nbody && b <= 20; ++b) {
        const char* n = mj_id2name(m, mjOBJ_BODY, b);
        bodies += std::string(bodies.empty() ? "" : ", ") + (n != nullptr ? n : "(unnamed)");
      }
      invalid_argument("task.torso: no body named '" + spec_.torso + "'" + in_model + " (bodies: " + bodies +
                       (m->nbody > 21 ? ", ..." : "") + ")");
    }
    observation_size_ = m->nq - 2 + m->nv;
    action_size_ = m->nu;
    if (spec_.observation_size && *spec_.observation_size != observation_size_) {
      invalid_argument("task.observation_size: " + std::to_string(*spec_.observation_size) + ", but model '" + path +
                       "' gives " + std::to_string(observation_size_) + " (qpos without x/y, then qvel); the model "
                       "file changed since the spec was resolved?");
    }
    if (spec_.actions && *spec_.actions != action_size_) {
      invalid_argument("task.actions: " + std::to_string(*spec_.actions) + ", but model '" + path + "' has " +
                       std::to_string(action_size_) + " actuators; the model file changed since the spec was resolved?");
    }
    for (int b = 1; b < m->nbody; ++b) total_mass_ += m->body_mass[b];
    if (!(total_mass_ > 0)) invalid_argument("task.model: the model's bodies have no mass" + in_model);
    for (int a = 0; a < m->nu; ++a) {
      const double lo = m->actuator_ctrlrange[2 * a], hi = m->actuator_ctrlrange[2 * a + 1];
      const bool limited = m->actuator_ctrllimited[a] != 0 && lo < hi;
      ctrl_center_.push_back(limited ? 0.5 * (lo + hi) : 0.0);
      ctrl_half_.push_back(limited ? 0.5 * (hi - lo) : 1.0);
    }
  } catch (...) {
    mj_deleteModel(model_);
    throw;
  }
}

MujocoTask::~MujocoTask() {
  free_.clear();  // the mjData first: they were made for the model
  mj_deleteModel(model_);
}

nlohmann::json MujocoTask::resolved_spec() const {
  MujocoSpec resolved = spec_;
  resolved.observation_size = observation_size_;
  resolved.actions = action_size_;
  return mujoco_resolved_spec(resolved);
}

double MujocoTask::dt() const { return spec_.frame_skip * model_->opt.timestep; }

double MujocoTask::control(int actuator, float output) const {
  const double a = std::isnan(output) ? 0.0 : std::clamp(static_cast<double>(output), -1.0, 1.0);
  return ctrl_center_[static_cast<size_t>(actuator)] + a * ctrl_half_[static_cast<size_t>(actuator)];
}

size_t MujocoTask::data_made() const {
  std::lock_guard lock(mutex_);
  return made_;
}

std::unique_ptr<MujocoTask::Workspace> MujocoTask::acquire() const {
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      auto w = std::move(free_.back());
      free_.pop_back();
      return w;
    }
    ++made_;
  }
  auto w = std::make_unique<Workspace>(model_);
  w->observation.resize(static_cast<size_t>(observation_size_));
  w->output.resize(static_cast<size_t>(action_size_));
  return w;
}

void MujocoTask::release(std::unique_ptr<Workspace> workspace) const {
  std::lock_guard lock(mutex_);
  free_.push_back(std::move(workspace));
}

EpisodeResult MujocoTask::run_episode(Policy& policy, uint64_t episode_seed) const {
  // The mjData goes back to the free list when the episode ends normally; after an exception
  // (from the policy, or a MuJoCo error mid-step) it is dropped, whatever state it was left in.
  struct Lease {
    const MujocoTask& task;
    std::unique_ptr<Workspace> workspace;
    int exceptions = std::uncaught_exceptions();
    ~Lease() {
      if (std::uncaught_exceptions() == exceptions) task.release(std::move(workspace));
    }
  } lease{*this, acquire()};
  Workspace& w = *lease.workspace;
  const mjModel* m = model_;
  mjData* d = w.data;

  mj_resetData(m, d);
  EpisodeRandom random(episode_seed);
  for (int i = 0; i < m->nq; ++i) d->qpos[i] = m->qpos0[i] + random.uniform(-mujoco::kResetNoise, mujoco::kResetNoise);
  for (int i = 0; i < m->nv; ++i) d->qvel[i] = random.uniform(-mujoco::kResetNoise, mujoco::kResetNoise);
  mj_forward(m, d);

  const double step_dt = dt();
  const double low = spec_.healthy_z[0], high = spec_.healthy_z[1];
  double x_before = com_x(m, d, total_mass_);
  EpisodeResult result;
  while (result.steps < spec_.max_steps) {
    float* obs = w.observation.data();
    for (int i = 2; i < m->nq; ++i) *obs++ = static_cast<float>(d->qpos[i]);
    for (int i = 0; i < m->nv; ++i) *obs++ = static_cast<float>(d->qvel[i]);
    policy.act(w.observation, w.output);
    double ctrl_cost = 0;
    for (int a = 0; a < m->nu; ++a) {
      const double c = control(a, w.output[static_cast<size_t>(a)]);
      d->ctrl[a] = c;
      ctrl_cost += c * c;
    }
    for (int k = 0; k < spec_.frame_skip; ++k) mj_step(m, d);
    mj_kinematics(m, d);  // mj_step leaves xipos/xpos at the state before its last integration
    ++result.steps;
    // max_steps may be far beyond 1,000 (about 0.3 s): a stop gets in as in the other episodes.
    if (result.steps % kStopPollSteps == 0) poll_stop();
    // A diverged simulation (MuJoCo reset the state to qpos0 mid-step) earns nothing and ends.
    if (diverged(d)) break;
    const double x_after = com_x(m, d, total_mass_);
    const double forward = mujoco::kForwardRewardWeight * ((x_after - x_before) / step_dt);
    result.reward += forward + mujoco::kHealthyReward - mujoco::kControlCostWeight * ctrl_cost;
    x_before = x_after;
    const double z = d->xpos[3 * torso_ + 2];
    if (!(z > low && z < high)) break;
  }
  return result;
}

}  // namespace seedline::tasks
