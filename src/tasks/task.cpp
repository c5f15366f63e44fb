#include "tasks/task.hpp"

#include "util/error.hpp"

namespace seedline::tasks {

std::vector<int64_t> Task::observation_shape() const {
  if (observation_size() <= 0) return {};
  return {observation_size()};
}

EpisodeResult Task::run_episode(Policy& /*policy*/, uint64_t /*episode_seed*/) const {
  failed_precondition("task '" + name() + "' scores the phenotype; it has no episodes to run");
}

double Task::score(std::span<const float> /*parameters*/) const {
  failed_precondition("task '" + name() + "' is an environment; score it with run_episode");
}

}  // namespace seedline::tasks
