// The `external` task's spec: defaults, resolution, and errors that name the field.
#include <gtest/gtest.h>

#include "tasks/external_task.hpp"
#include "util/error.hpp"

namespace seedline::tasks {
namespace {

using nlohmann::json;

TEST(ExternalTask, DefaultsAreFilledInAndTheResolvedSpecRebuildsTheSameTask) {
  const auto task = make_task(json::parse(R"({"type": "external", "command": ["python3", "env.py"]})"));
  EXPECT_EQ(task->resolved_spec(), json::parse(R"({"type": "external", "command": ["python3", "env.py"],
      "workers": 1, "episodes": 1, "timeout": 60.0, "startup_timeout": 60.0, "retries": 2})"));
  EXPECT_TRUE(task->scores_phenotype());  // no observation_shape: the first layer gives "in"
  EXPECT_EQ(task->observation_size(), 0);
  EXPECT_EQ(make_task(task->resolved_spec())->resolved_spec(), task->resolved_spec());
  EXPECT_THROW(task->score(std::vector<float>{1.0f}), Error);
}

TEST(ExternalTask, AnObservationShapeMakesThePolicyInputAndActionsItsOutput) {
  const auto pixels = make_task(json::parse(R"({"type": "external", "command": ["env"], "workers": 4,
      "episodes": 2, "timeout": 5, "observation_shape": [12, 64, 64], "actions": 3})"));
  EXPECT_FALSE(pixels->scores_phenotype());
  EXPECT_EQ(pixels->observation_size(), 12 * 64 * 64);
  EXPECT_EQ(pixels->action_size(), 3);
  EXPECT_EQ(pixels->episodes(), 2);
  const auto& spec = dynamic_cast<const ExternalTask&>(*pixels).spec();
  EXPECT_EQ(spec.workers, 4);
  EXPECT_EQ(spec.timeout, 5.0);
  EXPECT_EQ(pixels->resolved_spec()["observation_shape"], json::parse("[12, 64, 64]"));
  EXPECT_EQ(make_task(json::parse(R"({"type": "external", "command": ["env"], "observation_shape": [4],
      "actions": 2})"))->observation_size(), 4);
}

TEST(ExternalTask, ErrorsNameTheField) {
  const struct {
    const char* spec;
    const char* says;
  } cases[] = {
      {R"({"type": "external"})", "task.command: is required"},
      {R"({"type": "external", "command": []})", "task.command: must be a non-empty list"},
      {R"({"type": "external", "command": "python3 env.py"})", "task.command: must be a non-empty list"},
      {R"({"type": "external", "command": ["python3", 3]})", "task.command[1]: must be a string"},
      {R"({"type": "external", "command": [""]})", "task.command[0]: the program name is empty"},
      {R"({"type": "external", "command": ["e"], "workers": 0})", "task.workers: must be an integer from 1 to 256"},
      {R"({"type": "external", "command": ["e"], "timeout": 0})", "task.timeout"},
      {R"({"type": "external", "command": ["e"], "retries": -1})", "task.retries"},
      {R"({"type": "external", "command": ["e"], "observation_shape": [3, 4]})",
       "task.observation_shape: must be [n] or [channels, height, width]"},
      {R"({"type": "external", "command": ["e"], "observation_shape": [0]})", "every dimension must be a positive"},
      {R"({"type": "external", "command": ["e"], "observation_shape": [4]})", "task.actions: is required with"},
      {R"({"type": "external", "command": ["e"], "actions": 2})", "task.actions: needs observation_shape"},
      {R"({"type": "external", "command": ["e"], "worker": 2})", "task.worker"},
  };
  for (const auto& c : cases) {
    try {
      make_task(json::parse(c.spec));
      ADD_FAILURE() << c.spec << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << c.spec;
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.spec << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace seedline::tasks
