// make_task: defaults, overrides, and errors that name the offending field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tasks/cartpole.hpp"
#include "tasks/function_tasks.hpp"
#include "tasks/pendulum.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"

namespace seedline::tasks {
namespace {

using nlohmann::json;

TEST(MakeTask, DefaultsPerType) {
  struct Case {
    const char* spec;
    const char* resolved;
    int observations;
    int actions;
    ActionKind kind;
    bool phenotype;
  };
  const Case cases[] = {
      {R"({"type":"cartpole"})", R"({"type":"cartpole","episodes":1,"max_steps":500})", 4, 2,
       ActionKind::kDiscrete, false},
      {R"({"type":"pendulum"})", R"({"type":"pendulum","episodes":1,"max_steps":200})", 3, 1,
       ActionKind::kContinuous, false},
      {R"({"type":"sphere"})", R"({"type":"sphere","episodes":1,"shift":0.0})", 0, 0, ActionKind::kContinuous,
       true},
      {R"({"type":"rastrigin"})", R"({"type":"rastrigin","episodes":1,"shift":0.0})", 0, 0,
       ActionKind::kContinuous, true},
  };
  for (const Case& c : cases) {
    const auto task = make_task(json::parse(c.spec));
    EXPECT_EQ(task->resolved_spec(), json::parse(c.resolved)) << c.spec;
    EXPECT_EQ(task->observation_size(), c.observations) << c.spec;
    EXPECT_EQ(task->action_size(), c.actions) << c.spec;
    EXPECT_EQ(task->action_kind(), c.kind) << c.spec;
    EXPECT_EQ(task->scores_phenotype(), c.phenotype) << c.spec;
    EXPECT_EQ(task->episodes(), 1) << c.spec;
    // The resolved spec builds the same task again.
    EXPECT_EQ(make_task(task->resolved_spec())->resolved_spec(), task->resolved_spec()) << c.spec;
  }
}

TEST(MakeTask, Overrides) {
  const auto cart = make_task(json::parse(R"({"type":"cartpole","episodes":3,"max_steps":1000})"));
  EXPECT_EQ(cart->episodes(), 3);
  EXPECT_EQ(dynamic_cast<const CartPoleTask&>(*cart).max_steps(), 1000);
  const auto pend = make_task(json::parse(R"({"type":"pendulum","max_steps":50})"));
  EXPECT_EQ(dynamic_cast<const PendulumTask&>(*pend).max_steps(), 50);
  const auto sphere = make_task(json::parse(R"({"type":"sphere","shift":2.5})"));
  EXPECT_EQ(dynamic_cast<const SphereTask&>(*sphere).shift(), 2.5);
  EXPECT_EQ(sphere->score(std::vector<float>{2.5f}), 0.0);
  EXPECT_EQ(make_task(json::parse(R"({"type":"rastrigin","shift":-1,"episodes":1})"))->name(), "rastrigin");
}

TEST(MakeTask, ErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([1,2])", "task: expected an object"},
      {R"({})", "task.type: missing"},
      {R"({"type":3})", "task.type: expected a string"},
      {R"({"type":"cartpol"})", "task.type: unknown task 'cartpol'"},
      {R"({"type":"cartpole","episode":2})", "task.episode: unknown field for task 'cartpole'"},
      {R"({"type":"cartpole","shift":1})", "task.shift: unknown field for task 'cartpole'"},
      {R"({"type":"sphere","max_steps":10})", "task.max_steps: unknown field for task 'sphere'"},
      {R"({"type":"cartpole","episodes":0})", "task.episodes: 0 is out of range [1, 100000]"},
      {R"({"type":"cartpole","episodes":-4})", "task.episodes: -4 is out of range"},
      {R"({"type":"cartpole","episodes":1.5})", "task.episodes: expected an integer, got 1.5"},
      {R"({"type":"cartpole","episodes":"2"})", "task.episodes: expected an integer, got \"2\""},
      {R"({"type":"cartpole","episodes":18446744073709551615})", "task.episodes: 18446744073709551615 is out of range"},
      {R"({"type":"pendulum","max_steps":0})", "task.max_steps: 0 is out of range"},
      {R"({"type":"pendulum","max_steps":true})", "task.max_steps: expected an integer"},
      {R"({"type":"sphere","episodes":2})", "task.episodes: task 'sphere' is deterministic"},
      {R"({"type":"rastrigin","shift":"x"})", "task.shift: expected a finite number"},
      {R"({"type":"rastrigin","shift":null})", "task.shift: expected a finite number"},
  };
  for (const auto& [spec, message] : cases) {
    try {
      make_task(json::parse(spec));
      ADD_FAILURE() << spec << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << spec;
      EXPECT_THAT(e.what(), ::testing::HasSubstr(message)) << spec;
    }
  }
}

}  // namespace
}  // namespace seedline::tasks
