// The mujoco task (humanoid locomotion on MuJoCo's C API): fields and their errors, an episode
// against a direct C API replay of the same actions, early termination, and an episode's
// independence from threads and from the order episodes run in.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <fstream>
#include <thread>

#include "support/temp_dir.hpp"
#include "tasks/episode_random.hpp"
#include "tasks/mujoco_task.hpp"
#include "tasks/task.hpp"
#include "test_policies.hpp"
#include "util/error.hpp"

#if SEEDLINE_TESTS_HAVE_MUJOCO
#include <mujoco/mujoco.h>
#endif

namespace seedline::tasks {
namespace {

using nlohmann::json;
using seedline::testing::TempDir;

std::string error_of(const json& spec, TaskData data = TaskData::kLoad) {
  try {
    make_task(spec, data);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A shape-only task needs neither the model nor MuJoCo: stored runs stay readable anywhere.
TEST(MujocoTask, ARecordedSpecBuildsAGenomeShapeWithoutTheModel) {
  const json stored = {{"type", "mujoco"},         {"env", "humanoid"}, {"model", "/nowhere/humanoid.xml"},
                       {"episodes", 2},            {"max_steps", 1000}, {"frame_skip", 5},
                       {"torso", "torso"},         {"healthy_z", {1.0, 2.0}},
                       {"observation_size", 53},   {"actions", 21}};
  const auto task = make_task(stored, TaskData::kSpecOnly);
  EXPECT_EQ(task->observation_size(), 53);
  EXPECT_EQ(task->action_size(), 21);
  EXPECT_EQ(task->episodes(), 2);
  EXPECT_EQ(task->resolved_spec(), stored);
  testing::ConstantPolicy policy(std::vector<float>(21, 0.0f));
  EXPECT_THROW(task->run_episode(policy, 1), Error);
  // Loading it names the missing file (or, without MuJoCo, the missing package).
  const std::string e = error_of(stored);
  if (mujoco_built()) {
    EXPECT_NE(e.find("task.model: no such file '/nowhere/humanoid.xml'"), std::string::npos) << e;
  } else {
    EXPECT_NE(e.find("libmujoco-dev"), std::string::npos) << e;
  }
}

TEST(MujocoTask, BadFieldsAreNamedBeforeTheModelIsRead) {
  const std::pair<json, std::string> cases[] = {
      {{{"type", "mujoco"}, {"env", "walker"}}, "task.env: unknown environment 'walker' (one of humanoid)"},
      {{{"type", "mujoco"}, {"frame_skip", 0}}, "task.frame_skip:"},
      {{{"type", "mujoco"}, {"frame_skip", 2.5}}, "task.frame_skip:"},
      {{{"type", "mujoco"}, {"max_steps", 0}}, "task.max_steps:"},
      {{{"type", "mujoco"}, {"episodes", 0}}, "task.episodes:"},
      {{{"type", "mujoco"}, {"model", ""}}, "task.model: expected the path"},
      {{{"type", "mujoco"}, {"model", 3}}, "task.model: must be a string"},
      {{{"type", "mujoco"}, {"torso", ""}}, "task.torso: expected a body name"},
      {{{"type", "mujoco"}, {"healthy_z", {2.0, 1.0}}}, "task.healthy_z: low must be below high"},
      {{{"type", "mujoco"}, {"healthy_z", {1.0}}}, "task.healthy_z: expected [low, high]"},
      {{{"type", "mujoco"}, {"healthy_z", "1..2"}}, "task.healthy_z: expected [low, high]"},
      {{{"type", "mujoco"}, {"actions", 0}}, "task.actions:"},
      {{{"type", "mujoco"}, {"gravity", -9.81}}, "task.gravity: unknown field"},
  };
  for (const auto& [spec, expected] : cases) {
    const std::string e = error_of(spec);
    EXPECT_NE(e.find(expected), std::string::npos) << spec.dump() << " -> " << e;
  }
}

#if SEEDLINE_TESTS_HAVE_MUJOCO

const char* kModel = mujoco::kDefaultHumanoidModel;

const MujocoTask& as_mujoco(const Task& task) { return dynamic_cast<const MujocoTask&>(task); }

TEST(MujocoTask, HumanoidDefaultsAndSizesComeFromTheModel) {
  const auto task = make_task(json{{"type", "mujoco"}});
  // 28 qpos (7 for the free root) less the root's x and y, and 27 qvel; 21 motors.
  EXPECT_EQ(task->observation_size(), 26 + 27);
  EXPECT_EQ(task->action_size(), 21);
  EXPECT_EQ(task->action_kind(), ActionKind::kContinuous);
  EXPECT_FALSE(task->scores_phenotype());
  const json resolved = {{"type", "mujoco"}, {"env", "humanoid"}, {"model", kModel},
                         {"episodes", 1}, {"max_steps", 1000}, {"frame_skip", 5},
                         {"torso", "torso"}, {"healthy_z", {1.0, 2.0}},
                         {"observation_size", 53}, {"actions", 21}};
  EXPECT_EQ(task->resolved_spec(), resolved);
  EXPECT_EQ(make_task(resolved)->resolved_spec(), resolved);
  EXPECT_DOUBLE_EQ(as_mujoco(*task).dt(), 5 * 0.005);
  // Outputs are clipped to [-1, 1] (NaN -> 0) and mapped to the ctrlrange [-1, 1].
  const auto& h = as_mujoco(*task);
  EXPECT_EQ(h.control(0, 0.25f), 0.25);
  EXPECT_EQ(h.control(0, 7.0f), 1.0);
  EXPECT_EQ(h.control(0, -7.0f), -1.0);
  EXPECT_EQ(h.control(0, std::nanf("")), 0.0);
}

TEST(MujocoTask, ModelErrorsCarryMujocosTextAndNameTheField) {
  TempDir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  const std::string broken = write("broken.xml", "<mujoco><worldbody><body></worldbody></mujoco>");
  const std::string hinge = write("hinge.xml", R"(<mujoco><worldbody><body name="torso" pos="0 0 1">
      <joint type="hinge"/><geom size=".1"/></body></worldbody>
      <actuator><motor joint="" gear="1"/></actuator></mujoco>)");
  const std::string no_motor = write("nomotor.xml", R"(<mujoco><worldbody><body name="torso" pos="0 0 1">
      <freejoint/><geom size=".1"/></body></worldbody></mujoco>)");
  const std::pair<json, std::string> cases[] = {
      {{{"type", "mujoco"}, {"model", "/nowhere.xml"}}, "task.model: no such file '/nowhere.xml'"},
      {{{"type", "mujoco"}, {"model", dir.path().string()}}, "is a directory"},
      {{{"type", "mujoco"}, {"model", broken}}, "task.model: MuJoCo cannot load '" + broken + "': XML"},
      {{{"type", "mujoco"}, {"model", hinge}}, "task.model: MuJoCo cannot load"},
      {{{"type", "mujoco"}, {"model", no_motor}}, "task.model: the model has no actuators"},
      {{{"type", "mujoco"}, {"torso", "chest"}}, "task.torso: no body named 'chest' in model '" + std::string(kModel) +
                                                     "' (bodies: torso, head, lower_waist"},
      {{{"type", "mujoco"}, {"actions", 17}}, "task.actions: 17, but model"},
      {{{"type", "mujoco"}, {"observation_size", 376}}, "task.observation_size: 376, but model"},
  };
  for (const auto& [spec, expected] : cases) {
    const std::string e = error_of(spec);
    EXPECT_NE(e.find(expected), std::string::npos) << spec.dump() << " -> " << e;
  }
  // A model whose first joint is not a free joint.
  const std::string slide = write("slide.xml", R"(<mujoco><worldbody><body name="torso" pos="0 0 1">
      <joint name="x" type="slide" axis="1 0 0"/><geom size=".1"/></body></worldbody>
      <actuator><motor joint="x" gear="1"/></actuator></mujoco>)");
  const std::string e = error_of({{"type", "mujoco"}, {"model", slide}});
  EXPECT_NE(e.find("task.model: the locomotion task needs the model's first joint to be a free joint"),
            std::string::npos)
      << e;
}

// A user's own model: a box on two legs whose motors have other control ranges (one without),
// run by naming its torso and height range.
TEST(MujocoTask, AUsersOwnModelRunsByNamingItsTorsoAndHeights) {
  TempDir dir;
  const auto model = dir / "walker.xml";
  std::ofstream(model) << R"(<mujoco><option timestep="0.01"/><worldbody>
      <geom name="floor" type="plane" size="0 0 .05"/>
      <body name="box" pos="0 0 0.6"><freejoint/><geom type="box" size=".2 .1 .05" mass="5"/>
        <body name="leg1" pos=".15 0 -.05"><joint name="h1" type="hinge" axis="0 1 0" limited="true" range="-60 60"/>
          <geom type="capsule" fromto="0 0 0 0 0 -.45" size=".03"/></body>
        <body name="leg2" pos="-.15 0 -.05"><joint name="h2" type="hinge" axis="0 1 0" limited="true" range="-60 60"/>
          <geom type="capsule" fromto="0 0 0 0 0 -.45" size=".03"/></body>
      </body></worldbody>
      <actuator><motor joint="h1" gear="10" ctrllimited="true" ctrlrange="-2 4"/>
                <motor joint="h2" gear="10" ctrllimited="false"/></actuator></mujoco>)";
  const json spec = {{"type", "mujoco"}, {"model", model.string()}, {"torso", "box"},
                     {"healthy_z", {0.3, 1.0}}, {"max_steps", 40}, {"frame_skip", 2}};
  const auto task = make_task(spec);
  EXPECT_EQ(task->observation_size(), (7 + 2 - 2) + (6 + 2));
  EXPECT_EQ(task->action_size(), 2);
  const auto& walker = as_mujoco(*task);
  EXPECT_DOUBLE_EQ(walker.dt(), 0.02);
  // [-1, 1] onto [-2, 4]: centre 1, half-width 3; the unlimited motor takes the clipped output.
  EXPECT_EQ(walker.control(0, -1.0f), -2.0);
  EXPECT_EQ(walker.control(0, 1.0f), 4.0);
  EXPECT_EQ(walker.control(0, 0.0f), 1.0);
  EXPECT_EQ(walker.control(0, 5.0f), 4.0);
  EXPECT_EQ(walker.control(1, 0.5f), 0.5);
  EXPECT_EQ(walker.control(1, -3.0f), -1.0);
  // It stands on its legs (box at ~0.55 m) inside the range, so a run goes on for a while;
  // the same seed gives the same bits.
  testing::ConstantPolicy still(std::vector<float>{-1.0f / 3.0f, 0.0f});  // zero torque on both
  const auto a = task->run_episode(still, 3);
  testing::ConstantPolicy again(std::vector<float>{-1.0f / 3.0f, 0.0f});
  const auto b = task->run_episode(again, 3);
  EXPECT_GT(a.steps, 1);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.reward, b.reward);
  EXPECT_EQ(still.observations[0].size(), 15u);
}

// Outputs that vary with the step and the observation, so the replay covers the action mapping
// (values beyond [-1, 1] and a NaN included) and a state-dependent policy.
class WigglePolicy final : public Policy {
 public:
  void act(std::span<const float> obs, std::span<float> out) override {
    observations.emplace_back(obs.begin(), obs.end());
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = 1.5f * std::sin(0.7f * static_cast<float>(step) + static_cast<float>(i)) + 0.3f * obs[i % obs.size()];
    }
    if (step == 3) out[4] = std::nanf("");
    outputs.emplace_back(out.begin(), out.end());
    ++step;
  }
  int step = 0;
  std::vector<std::vector<float>> observations, outputs;
};

// The same episode written directly against the C API, from the definition in docs/tasks.md:
// the reset noise, the action mapping, frame_skip mj_steps, then the centre of mass from
// mj_forward's subtree_com (not the task's mass-weighted xipos sum) and the torso's height.
struct Replay {
  std::vector<std::vector<float>> observations;
  std::vector<double> rewards;
};
Replay replay(const std::vector<std::vector<float>>& outputs, uint64_t seed, int frame_skip, double low, double high) {
  char error[500] = "";
  mjModel* m = mj_loadXML(kModel, nullptr, error, sizeof error);
  EXPECT_NE(m, nullptr) << error;
  mjData* d = mj_makeData(m);
  for (int i = 0; i < m->nq; ++i) d->qpos[i] = m->qpos0[i] + (-0.01 + 0.02 * EpisodeRandom::unit(seed, i));
  for (int i = 0; i < m->nv; ++i) d->qvel[i] = -0.01 + 0.02 * EpisodeRandom::unit(seed, m->nq + i);
  mj_forward(m, d);
  const int torso = mj_name2id(m, mjOBJ_BODY, "torso");
  Replay r;
  double x = d->subtree_com[0];
  for (const auto& out : outputs) {
    std::vector<float> obs;
    for (int i = 2; i < m->nq; ++i) obs.push_back(static_cast<float>(d->qpos[i]));
    for (int i = 0; i < m->nv; ++i) obs.push_back(static_cast<float>(d->qvel[i]));
    r.observations.push_back(obs);
    double cost = 0;
    for (int a = 0; a < m->nu; ++a) {
      const double v = std::isnan(out[a]) ? 0.0 : std::max(-1.0, std::min(1.0, static_cast<double>(out[a])));
      d->ctrl[a] = v;  // ctrlrange [-1, 1] for every motor of this model
      cost += v * v;
    }
    for (int k = 0; k < frame_skip; ++k) mj_step(m, d);
    mj_forward(m, d);
    const double next = d->subtree_com[0];
    r.rewards.push_back(1.25 * (next - x) / (frame_skip * m->opt.timestep) + 5.0 - 0.1 * cost);
    x = next;
    const double z = d->xpos[3 * torso + 2];
    if (!(z > low && z < high)) break;
  }
  mj_deleteData(d);
  mj_deleteModel(m);
  return r;
}

TEST(MujocoTask, AnEpisodeMatchesADirectCApiReplayOfTheSameActions) {
  const auto task = make_task(json{{"type", "mujoco"}, {"max_steps", 25}, {"frame_skip", 4}});
  WigglePolicy policy;
  const auto result = task->run_episode(policy, 0x5eed);
  const Replay r = replay(policy.outputs, 0x5eed, 4, 1.0, 2.0);
  ASSERT_EQ(result.steps, static_cast<int64_t>(policy.outputs.size()));
  ASSERT_EQ(r.rewards.size(), policy.outputs.size());
  // Observations: the same arithmetic on the same library, so the same bits.
  for (size_t s = 0; s < r.observations.size(); ++s) {
    EXPECT_EQ(policy.observations[s], r.observations[s]) << "step " << s;
  }
  double total = 0;
  for (const double v : r.rewards) total += v;
  // Different centre-of-mass arithmetic (subtree_com vs the task's sum): agree to rounding.
  EXPECT_NEAR(result.reward, total, 1e-9 * std::abs(total));
  // The reset noise moved the start: another seed starts elsewhere.
  WigglePolicy other;
  task->run_episode(other, 0x5eee);
  EXPECT_NE(other.observations[0], policy.observations[0]);
  EXPECT_LT(std::abs(policy.observations[0][0] - (1.5f - 0.0f)), 0.02f);  // the root's z, 1.5 +- 0.01
}

TEST(MujocoTask, AFallenHumanoidTerminatesEarly) {
  // No control: it drops onto its feet, sags, and its torso crosses 1.0 m within a second
  // (about 34 steps of 25 ms).
  const auto task = make_task(json{{"type", "mujoco"}});
  testing::ConstantPolicy idle(std::vector<float>(21, 0.0f));
  const auto fallen = task->run_episode(idle, 7);
  EXPECT_GT(fallen.steps, 10);
  EXPECT_LT(fallen.steps, 60);
  // Every step earned the healthy reward 5 and no control cost; the forward term is small.
  EXPECT_NEAR(fallen.reward, 5.0 * static_cast<double>(fallen.steps), 0.5 * static_cast<double>(fallen.steps));
  // With the height check out of the way, the same humanoid lies there until max_steps.
  const auto lenient = make_task(json{{"type", "mujoco"}, {"healthy_z", {0.0, 2.0}}, {"max_steps", 120}});
  EXPECT_EQ(lenient->run_episode(idle, 7).steps, 120);
  // A range that the standing humanoid is already out of ends on the first step.
  const auto strict = make_task(json{{"type", "mujoco"}, {"healthy_z", {1.6, 2.0}}});
  EXPECT_EQ(strict->run_episode(idle, 7).steps, 1);
}

// A deterministic state-feedback policy (the same for every thread).
class FeedbackPolicy final : public Policy {
 public:
  void act(std::span<const float> obs, std::span<float> out) override {
    for (size_t i = 0; i < out.size(); ++i) {
      float v = 0;
      for (size_t j = 0; j < obs.size(); ++j) v += std::sin(static_cast<float>(i * 31 + j)) * obs[j];
      out[i] = std::tanh(v);
    }
  }
};

TEST(MujocoTask, AnEpisodeDependsOnlyOnItsSeedWhateverTheThreadsAndOrder) {
  const auto task = make_task(json{{"type", "mujoco"}, {"max_steps", 60}});
  const auto& humanoid = as_mujoco(*task);
  constexpr int kEpisodes = 12;
  std::vector<EpisodeResult> reference(kEpisodes);
  for (int e = 0; e < kEpisodes; ++e) {
    FeedbackPolicy p;
    reference[e] = task->run_episode(p, 1000 + e);
  }
  EXPECT_EQ(humanoid.data_made(), 1u);  // one mjData, reused by every episode of the thread
  for (int threads : {2, 3}) {
    std::vector<EpisodeResult> got(kEpisodes);
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        // Episodes in reverse order, taken by whichever thread is free.
        for (int k = next++; k < kEpisodes; k = next++) {
          FeedbackPolicy p;
          got[kEpisodes - 1 - k] = task->run_episode(p, 1000 + (kEpisodes - 1 - k));
        }
      });
    }
    for (auto& t : pool) t.join();
    for (int e = 0; e < kEpisodes; ++e) {
      EXPECT_EQ(std::bit_cast<uint64_t>(got[e].reward), std::bit_cast<uint64_t>(reference[e].reward))
          << threads << " threads, episode " << e;
      EXPECT_EQ(got[e].steps, reference[e].steps);
    }
    EXPECT_LE(humanoid.data_made(), 3u);  // one per thread that ran at once
  }
  // Different seeds give different episodes.
  EXPECT_NE(reference[0].reward, reference[1].reward);
}

// A policy that throws mid-episode leaves nothing behind: the next episode is unaffected.
TEST(MujocoTask, APolicyErrorPropagatesAndTheNextEpisodeIsUnchanged) {
  const auto task = make_task(json{{"type", "mujoco"}, {"max_steps", 30}});
  FeedbackPolicy p;
  const auto before = task->run_episode(p, 5);
  testing::FunctionPolicy thrower([n = 0](std::span<const float>, std::span<float>) mutable {
    if (++n == 4) throw std::runtime_error("policy failed");
  });
  EXPECT_THROW(task->run_episode(thrower, 5), std::runtime_error);
  FeedbackPolicy again;
  const auto after = task->run_episode(again, 5);
  EXPECT_EQ(before.reward, after.reward);
  EXPECT_EQ(before.steps, after.steps);
}

#else

TEST(MujocoTask, RefusedWithoutMujocoNamingThePackage) {
  const std::string e = error_of({{"type", "mujoco"}});
  EXPECT_NE(e.find("libmujoco-dev"), std::string::npos) << e;
}

#endif

}  // namespace
}  // namespace seedline::tasks
