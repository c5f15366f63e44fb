// The mujoco task in a binary built without MuJoCo (CMake found no libmujoco-dev): stored runs
// still read (make_mujoco_task's shape-only task), but loading a model is refused.
#include "tasks/mujoco_task.hpp"
#include "util/error.hpp"

namespace seedline::tasks {

bool mujoco_built() { return false; }

std::unique_ptr<Task> load_mujoco_task(MujocoSpec /*spec*/) {
  fail(ErrorCode::kUnimplemented,
       "task.type: 'mujoco' needs the MuJoCo library, and this seedline binary was built without it: install "
       "libmujoco-dev and libmujoco-samples (bash scripts/setup.sh) and rebuild (bash scripts/build.sh)");
}

}  // namespace seedline::tasks
