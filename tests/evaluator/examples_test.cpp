// The experiment files of examples/external/ pass every check `seedline submit` makes, so the
// README's commands work as written (they start no process: building an external task does not).
#include <gtest/gtest.h>

#include "runner/submit.hpp"
#include "support/process.hpp"

namespace seedline::runner {
namespace {

TEST(ExternalExamples, EveryExperimentFileIsValid) {
  for (const char* name : {"cartpole.json", "sphere.json"}) {
    const auto path = seedline::testing::source_dir() / "examples" / "external" / name;
    auto spec = read_experiment_file(path);
    EXPECT_NO_THROW(check_experiment(spec, path.string())) << name;
    EXPECT_EQ(spec.conditions.front().task.value("type", ""), "external") << name;
  }
}

}  // namespace
}  // namespace seedline::runner
