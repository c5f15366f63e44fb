// Pendulum-v1: dynamics and reward pinned against the transcription of gymnasium's equations
// in tests/tasks/reference/classic_control_reference.py.
#include "tasks/pendulum.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

#include "tasks/test_policies.hpp"

namespace seedline::tasks {
namespace {

using testing::ConstantPolicy;

// Golden: "pendulum torques" — (th, thdot, reward) after each step; 3.0 is clipped to 2.0.
TEST(Pendulum, StepMatchesGymnasiumEquations) {
  const double torques[] = {0.0, 2.0, -2.0, 1.5, 3.0, -0.25, 0.75, -1.0};
  const std::array<double, 3> golden[] = {
      {2.4874427054038986, -0.2511458919220326, -6.299},
      {2.5127035942388614, 0.5052177766992574, -6.197678638569997},
      {2.5450237352224883, 0.6464028196725423, -6.343203852690184},
      {2.609661652262704, 1.2927583408043122, -6.521179473373885},
      {2.708319512275174, 1.973157200249404, -6.981456352062414},
      {2.820846512440315, 2.250540003302815, -7.724392014260046},
      {2.9508213152276777, 2.5994960557472564, -8.464230577393314},
      {3.0804067291247037, 2.5917082779405196, -9.384084408786558},
  };
  PendulumState s{2.5, -0.7};
  double total = 0;
  for (size_t i = 0; i < std::size(torques); ++i) {
    const PendulumStep step = pendulum_step(s, torques[i]);
    s = step.next;
    total += step.reward;
    EXPECT_NEAR(s.th, golden[i][0], 1e-12) << "step " << i + 1;
    EXPECT_NEAR(s.thdot, golden[i][1], 1e-12) << "step " << i + 1;
    EXPECT_NEAR(step.reward, golden[i][2], 1e-12) << "step " << i + 1;
  }
  EXPECT_NEAR(total, -57.9152253171364, 1e-12);
}

// Golden: "pendulum fall" — full torque along the fall reaches the 8 rad/s clip on step 12.
TEST(Pendulum, AngularSpeedIsClipped) {
  PendulumState s{0.1, 0.0};
  int first_clipped = 0;
  for (int k = 1; k <= 40; ++k) {
    s = pendulum_step(s, 2.0).next;
    ASSERT_LE(std::abs(s.thdot), pendulum::kMaxSpeed);
    if (first_clipped == 0 && std::abs(s.thdot) == pendulum::kMaxSpeed) first_clipped = k;
  }
  EXPECT_EQ(first_clipped, 12);
  EXPECT_NEAR(s.th, 12.42631740939655, 1e-12);
  EXPECT_NEAR(s.thdot, 6.061352723062985, 1e-12);
}

// Golden: "angle_normalize" lines (Python's floor modulo, result in [-pi, pi)).
TEST(Pendulum, AngleNormalizeUsesFloorModulo) {
  const std::pair<double, double> cases[] = {
      {-7.0, -0.7168146928204138}, {-3.5, 2.7831853071795862}, {-pendulum::kPi, -pendulum::kPi},
      {0.0, 0.0},                  {3.0, 3.0},                 {pendulum::kPi, -pendulum::kPi},
      {4.0, -2.2831853071795862},  {10.0, -2.5663706143591725},
  };
  for (const auto& [x, want] : cases) EXPECT_NEAR(angle_normalize(x), want, 1e-15) << x;
}

// Golden: "pendulum constant 0.3 for 200 steps" — the whole episode through the task, with
// the output mapped to u = float32(2 tanh(0.3)).
TEST(Pendulum, EpisodeWithConstantOutput) {
  EXPECT_EQ(pendulum_torque(0.3f), 0.5826252698898315f);
  const PendulumTask task(1, pendulum::kDefaultMaxSteps);
  ConstantPolicy policy({0.3f});
  const EpisodeResult r = task.run_episode_from(policy, PendulumState{-1.2, 0.4});
  EXPECT_EQ(r.steps, 200);
  EXPECT_NEAR(r.reward, -1165.9092294732284, 1e-9);
  ASSERT_EQ(policy.observations.size(), 200u);
  EXPECT_EQ(policy.observations[0], (std::vector<float>{static_cast<float>(std::cos(-1.2)),
                                                        static_cast<float>(std::sin(-1.2)), 0.4f}));
}

TEST(Pendulum, TorqueMapping) {
  EXPECT_EQ(pendulum_torque(0.0f), 0.0f);
  EXPECT_EQ(pendulum_torque(100.0f), 2.0f);
  EXPECT_EQ(pendulum_torque(-100.0f), -2.0f);
  EXPECT_EQ(pendulum_torque(std::numeric_limits<float>::infinity()), 2.0f);
  EXPECT_EQ(pendulum_torque(std::nanf("")), 0.0f);
}

// Golden: "seed ..." lines of the reference script (th uniform in [-pi, pi), thdot in [-1, 1)).
TEST(Pendulum, InitialStateFromEpisodeSeed) {
  EXPECT_EQ(pendulum_initial_state(0).th, 2.7115472175146635);
  EXPECT_EQ(pendulum_initial_state(0).thdot, 0.1722766317305704);
  EXPECT_EQ(pendulum_initial_state(1).th, 2.9880697298556944);
  EXPECT_EQ(pendulum_initial_state(1).thdot, 0.8584597465754851);
  EXPECT_EQ(pendulum_initial_state(0xDEADBEEFCAFEF00DULL).th, -2.3877892247245907);
  EXPECT_EQ(pendulum_initial_state(0xDEADBEEFCAFEF00DULL).thdot, -0.9881892856360832);
}

TEST(Pendulum, NeverTerminatesEarlyAndHonoursMaxSteps) {
  const PendulumTask task(1, 200);
  ConstantPolicy a({5.0f}), b({5.0f});
  const EpisodeResult ra = task.run_episode(a, 9);
  const EpisodeResult rb = task.run_episode(b, 9);
  EXPECT_EQ(ra.steps, 200);
  EXPECT_EQ(ra.reward, rb.reward);
  EXPECT_LT(ra.reward, 0.0);
  const PendulumTask short_task(1, 5);
  ConstantPolicy c({5.0f});
  EXPECT_EQ(short_task.run_episode(c, 9).steps, 5);
  // A NaN output acts as no torque, so the fitness stays a real number.
  ConstantPolicy broken({std::nanf("")});
  EXPECT_TRUE(std::isfinite(task.run_episode(broken, 9).reward));
}

}  // namespace
}  // namespace seedline::tasks
