#include "tasks/task.hpp"

#include "util/error.hpp"

namespace seedline::tasks {

EpisodeResult Task::run_episode(Policy& /*policy*/, uint64_t /*episode_seed*/) const {
  failed_precondition("task '" + name() + "' scores the phenotype; it has no episodes to run");
}

double Task::score(std::span<const float> /*parameters*/) const {
  failed_precondition("task '" + name() + "' is an environment; score it with run_episode");
}

}  // namespace seedline::tasks
