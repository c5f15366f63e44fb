#include "tasks/function_tasks.hpp"

#include <cmath>
#include <limits>

namespace seedline::tasks {
namespace {

constexpr double kTwoPi = 2 * 3.141592653589793;

// Maps a NaN/inf cost to -inf fitness (see the header).
double fitness_of(double cost) {
  return std::isfinite(cost) ? -cost : -std::numeric_limits<double>::infinity();
}

}  // namespace

nlohmann::json FunctionTask::resolved_spec() const {
  return {{"type", name()}, {"episodes", episodes()}, {"shift", shift_}};
}

double SphereTask::score(std::span<const float> parameters) const {
  double cost = 0;
  for (const float p : parameters) {
    const double z = static_cast<double>(p) - shift();
    cost += z * z;
  }
  return fitness_of(cost);
}

double RastriginTask::score(std::span<const float> parameters) const {
  double cost = 10.0 * static_cast<double>(parameters.size());
  for (const float p : parameters) {
    const double z = static_cast<double>(p) - shift();
    cost += z * z - 10.0 * std::cos(kTwoPi * z);
  }
  return fitness_of(cost);
}

}  // namespace seedline::tasks
