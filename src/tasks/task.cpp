#include "tasks/task.hpp"

#include "util/error.hpp"

namespace seedline::tasks {

std::vector<int64_t> Task::observation_shape() const {
  if (observation_size() <= 0) return {};
  return {observation_size()};
}

EpisodeResult Task::run_episode(Policy& /*policy*/, uint64_t /*episode_seed*/) const {
  failed_precondition("task '" + name() + "' is not an environment; it has no episodes to run");
}

double Task::score(std::span<const float> /*parameters*/) const {
  failed_precondition("task '" + name() + "' does not score flat parameters");
}

double Task::score_network(const nn::TransformerWeights& /*model*/) const {
  failed_precondition("task '" + name() + "' does not score a whole network");
}

}  // namespace seedline::tasks
