// Function tasks: benchmark functions evaluated on the phenotype's flat parameters.
//
//   sphere:     fitness = -sum_i (x_i - s)^2
//   rastrigin:  fitness = -(10 n + sum_i ((x_i - s)^2 - 10 cos(2 pi (x_i - s))))
// with s the spec's `shift` (default 0), so the optimum, fitness 0, sits at x_i = s. Sums run
// in double, in index order. A non-finite parameter (NaN or infinity) gives -infinity: a
// broken genome is the worst individual rather than an unordered NaN.
//
// Thread-safety: immutable; score is const. Failure: none; an empty parameter list scores 0.
#pragma once

#include <span>

#include "tasks/task.hpp"

namespace seedline::tasks {

class FunctionTask : public Task {
 public:
  double shift() const { return shift_; }
  int observation_size() const override { return 0; }
  int action_size() const override { return 0; }
  ActionKind action_kind() const override { return ActionKind::kContinuous; }
  bool scores_phenotype() const override { return true; }
  nlohmann::json resolved_spec() const override;

 protected:
  explicit FunctionTask(double shift) : Task(1), shift_(shift) {}

 private:
  double shift_;
};

class SphereTask final : public FunctionTask {
 public:
  explicit SphereTask(double shift = 0) : FunctionTask(shift) {}
  std::string name() const override { return "sphere"; }
  double score(std::span<const float> parameters) const override;
};

class RastriginTask final : public FunctionTask {
 public:
  explicit RastriginTask(double shift = 0) : FunctionTask(shift) {}
  std::string name() const override { return "rastrigin"; }
  double score(std::span<const float> parameters) const override;
};

}  // namespace seedline::tasks
