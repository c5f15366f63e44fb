// CartPole-v1: dynamics pinned against the transcription of gymnasium's equations in
// tests/tasks/reference/classic_control_reference.py, termination, truncation, step counts.
#include "tasks/cartpole.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <numbers>
#include <set>
#include <thread>
#include <vector>

#include "nn/mlp.hpp"
#include "tasks/episode_random.hpp"
#include "tasks/mlp_policy.hpp"
#include "tasks/test_policies.hpp"
#include "util/error.hpp"

namespace seedline::tasks {
namespace {

using testing::balancing_cartpole_policy;
using testing::ConstantPolicy;

void expect_state_near(const CartPoleState& s, const std::array<double, 4>& want, const std::string& what) {
  EXPECT_NEAR(s.x, want[0], 1e-12) << what;
  EXPECT_NEAR(s.x_dot, want[1], 1e-12) << what;
  EXPECT_NEAR(s.theta, want[2], 1e-12) << what;
  EXPECT_NEAR(s.theta_dot, want[3], 1e-12) << what;
}

// Golden: classic_control_reference.py, "cartpole pattern trajectory".
TEST(CartPole, StepMatchesGymnasiumEquations) {
  const int actions[] = {1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0};
  const std::array<double, 4> golden[] = {
      {0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081},
      {0.013093583914951107, -0.020868848948191993, 0.025938625640799837, 0.0591679999394166},
      {0.012676206935987267, -0.21635292104612766, 0.02712198563958817, 0.3599205713784138},
      {0.008349148515064714, -0.021626799199488206, 0.03432039706715644, 0.0759116989474441},
      {0.00791661253107495, 0.17298676004769037, 0.035838631046105324, -0.20574851582677406},
      {0.011376347732028757, 0.3675783725675468, 0.03172366072956984, -0.4869142013445082},
      {0.01872791518337969, 0.17202349486382784, 0.02198537670267968, -0.18440428392099584},
      {0.022168385080656248, 0.36682408600495897, 0.01829729102425976, -0.4700713747851109},
      {0.02950486680075543, 0.1714485132472654, 0.008895863528557544, -0.17167796834313398},
      {0.03293383706570074, -0.02379962460232901, 0.0054623041616948635, 0.12379799946559022},
      {0.03245784457365416, -0.2189994038745484, 0.007938264151006668, 0.4181992097247195},
      {0.028077856496163192, -0.02399083889736714, 0.016302248345501057, 0.1280294038596787},
      {0.02759803971821585, 0.17089382692465704, 0.01886283642269463, -0.15946610211758006},
      {0.031015916256708992, -0.024493026643919308, 0.015673514380343027, 0.13910738488207264},
      {0.030526055723830606, 0.17040097319715405, 0.01845566207798448, -0.14858988294460168},
      {0.03393407518777369, -0.0249803327116693, 0.015483864419092448, 0.14985782213291188},
      {0.0334344685335403, 0.16991651321482396, 0.018481020861750685, -0.1379003283187175},
      {0.036832798797836776, 0.3647689536824351, 0.015723014295376335, -0.4246959659825831},
      {0.04412817787148548, 0.16942784840385638, 0.007229094975724673, -0.12709814974492334},
      {0.047516734839562605, -0.025796914570849233, 0.004687131980826206, 0.16785667835422757},
  };
  CartPoleState s{0.01, -0.02, 0.03, 0.04};
  for (size_t i = 0; i < std::size(actions); ++i) {
    s = cartpole_step(s, actions[i]);
    expect_state_near(s, golden[i], "after step " + std::to_string(i + 1));
    EXPECT_FALSE(cartpole_terminated(s));
  }
}

// Golden: "cartpole push-right": the pole falls (theta < -12 degrees) on step 10, and that
// terminating step still earns its reward.
TEST(CartPole, PushingRightTerminatesOnStepTen) {
  const CartPoleTask task(1, 500);
  ConstantPolicy policy({0.0f, 1.0f});
  const EpisodeResult r = task.run_episode_from(policy, CartPoleState{0.01, -0.02, 0.03, 0.04});
  EXPECT_EQ(r.steps, 10);
  EXPECT_EQ(r.reward, 10.0);
  ASSERT_EQ(policy.observations.size(), 10u);

  CartPoleState s{0.01, -0.02, 0.03, 0.04};
  for (int i = 0; i < 10; ++i) s = cartpole_step(s, 1);
  expect_state_near(s, {0.18148412486073115, 1.9330643896994748, -0.2235691808247548, -2.984082745435586},
                    "final state");
  EXPECT_TRUE(cartpole_terminated(s));
}

TEST(CartPole, TerminationThresholds) {
  const double x = cartpole::kXThreshold;
  const double th = cartpole::kThetaThreshold;
  EXPECT_DOUBLE_EQ(th, 12.0 * std::numbers::pi / 180.0);
  struct Case {
    CartPoleState state;
    bool terminated;
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, false},
      {{x, 0, 0, 0}, false},  // the bounds themselves are inside (strict comparisons)
      {{-x, 0, 0, 0}, false},
      {{std::nextafter(x, 3.0), 0, 0, 0}, true},
      {{std::nextafter(-x, -3.0), 0, 0, 0}, true},
      {{0, 0, th, 0}, false},
      {{0, 0, -th, 0}, false},
      {{0, 0, std::nextafter(th, 1.0), 0}, true},
      {{0, 0, std::nextafter(-th, -1.0), 0}, true},
      {{0, 100, 0, 100}, false},  // velocities never terminate
  };
  for (const Case& c : cases) {
    EXPECT_EQ(cartpole_terminated(c.state), c.terminated)
        << "x=" << c.state.x << " theta=" << c.state.theta;
  }
}

TEST(CartPole, BalancingPolicyIsTruncatedAt500Steps) {
  const CartPoleTask task(1, cartpole::kDefaultMaxSteps);
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto policy = balancing_cartpole_policy();
    const EpisodeResult r = task.run_episode(policy, seed);
    EXPECT_EQ(r.steps, 500) << "seed " << seed;
    EXPECT_EQ(r.reward, 500.0) << "seed " << seed;
  }
  const CartPoleTask short_task(1, 37);
  auto policy = balancing_cartpole_policy();
  const EpisodeResult r = short_task.run_episode(policy, 3);
  EXPECT_EQ(r.steps, 37);
  EXPECT_EQ(r.reward, 37.0);
}

// A linear policy with arbitrary weights that pushes the wrong way lets the pole fall fast:
// the episode is short and its steps are counted exactly (reward == steps).
TEST(CartPole, ArbitraryLinearPolicyTerminatesEarly) {
  nn::DenseLayer layer;
  layer.weight.resize(2, 4);
  layer.weight << 0.3f, -0.8f, 0.5f, -0.2f,  //
      -0.6f, 0.1f, -0.9f, 0.4f;
  const nn::Mlp mlp({layer});
  const CartPoleTask task(1, 500);
  std::set<int64_t> distinct;
  for (uint64_t seed = 100; seed < 120; ++seed) {
    MlpPolicy policy(mlp);
    const EpisodeResult r = task.run_episode(policy, seed);
    EXPECT_GE(r.steps, 1);
    EXPECT_LT(r.steps, 60) << "seed " << seed;
    EXPECT_EQ(r.reward, static_cast<double>(r.steps));
    distinct.insert(r.steps);
  }
  EXPECT_GT(distinct.size(), 1u);  // different starts, different lengths
}

// A network built for another task is refused on its first step instead of reading past spans.
TEST(CartPole, MlpPolicyOfTheWrongShapeIsAnError) {
  nn::DenseLayer layer;
  layer.weight = Eigen::MatrixXf::Zero(2, 3);
  const nn::Mlp mlp({layer});
  MlpPolicy policy(mlp);
  try {
    CartPoleTask(1, 500).run_episode(policy, 1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("input has 4 values, expected 3"), std::string::npos) << e.what();
  }
}

// Golden: "seed 0x0/0x1/0xdeadbeefcafef00d" of the reference script (an independent Python
// Philox4x32-10 transcription checked against Random123's known-answer vector).
TEST(CartPole, InitialStateFromEpisodeSeed) {
  struct Case {
    uint64_t seed;
    std::array<double, 4> state;
  };
  const Case cases[] = {
      {0, {0.04315561430945335, 0.008613831586528523, -0.000827496389373697, -0.022437514632310952}},
      {1, {0.047556606780979824, 0.042922987328774254, 0.049962258979097104, -0.0013315123610335364}},
      {0xDEADBEEFCAFEF00DULL,
       {-0.03800284581764832, -0.049409464281804163, 0.012230746772728583, 0.020331704970281556}},
  };
  for (const Case& c : cases) {
    const CartPoleState s = cartpole_initial_state(c.seed);
    EXPECT_EQ(s.x, c.state[0]) << c.seed;
    EXPECT_EQ(s.x_dot, c.state[1]) << c.seed;
    EXPECT_EQ(s.theta, c.state[2]) << c.seed;
    EXPECT_EQ(s.theta_dot, c.state[3]) << c.seed;
  }
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    const CartPoleState s = cartpole_initial_state(seed);
    for (const double v : {s.x, s.x_dot, s.theta, s.theta_dot}) {
      ASSERT_GE(v, -0.05);
      ASSERT_LT(v, 0.05);
    }
  }
}

TEST(CartPole, EpisodesAreDeterministicPerSeedAndObservationsAreFloat32State) {
  const CartPoleTask task(1, 500);
  ConstantPolicy a({1.0f, 0.0f}), b({1.0f, 0.0f}), c({1.0f, 0.0f});
  const EpisodeResult ra = task.run_episode(a, 42);
  const EpisodeResult rb = task.run_episode(b, 42);
  task.run_episode(c, 43);
  EXPECT_EQ(ra.steps, rb.steps);
  EXPECT_EQ(ra.reward, rb.reward);
  EXPECT_EQ(a.observations, b.observations);
  EXPECT_NE(a.observations.front(), c.observations.front());
  const CartPoleState s = cartpole_initial_state(42);
  EXPECT_EQ(a.observations.front(), (std::vector<float>{static_cast<float>(s.x), static_cast<float>(s.x_dot),
                                                         static_cast<float>(s.theta),
                                                         static_cast<float>(s.theta_dot)}));
}

TEST(CartPole, ArgmaxPicksLowestIndexOnTiesAndSkipsNaN) {
  const float nan = std::nanf("");
  EXPECT_EQ(argmax_action(std::array<float, 2>{1.0f, 1.0f}), 0);
  EXPECT_EQ(argmax_action(std::array<float, 2>{1.0f, 2.0f}), 1);
  EXPECT_EQ(argmax_action(std::array<float, 2>{-1.0f, -2.0f}), 0);
  EXPECT_EQ(argmax_action(std::array<float, 2>{nan, 0.0f}), 1);
  EXPECT_EQ(argmax_action(std::array<float, 2>{0.0f, nan}), 0);
  EXPECT_EQ(argmax_action(std::array<float, 2>{nan, nan}), 0);
}

// One const task shared by threads gives exactly the sequential results.
TEST(CartPole, TaskIsShareableAcrossThreads) {
  const CartPoleTask task(1, 500);
  auto run = [&task](uint64_t first, std::vector<int64_t>& steps) {
    auto policy = testing::FunctionPolicy([](std::span<const float> s, std::span<float> out) {
      out[0] = s[2];
      out[1] = 0.3f * s[3] - 0.1f * s[0];
    });
    for (uint64_t seed = first; seed < first + 50; ++seed) steps.push_back(task.run_episode(policy, seed).steps);
  };
  std::vector<std::vector<int64_t>> sequential(4), parallel(4);
  for (size_t t = 0; t < 4; ++t) run(t * 50, sequential[t]);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) threads.emplace_back(run, t * 50, std::ref(parallel[t]));
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(sequential, parallel);
}

TEST(EpisodeRandom, DrawsAreIndependentOfOrder) {
  EpisodeRandom random(77);
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(random.uniform(0.0, 1.0), EpisodeRandom::unit(77, i));
  }
  EXPECT_NE(EpisodeRandom::unit(77, 0), EpisodeRandom::unit(78, 0));
  double sum = 0;
  for (uint32_t i = 0; i < 20000; ++i) {
    const double u = EpisodeRandom::unit(5, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 20000, 0.5, 0.01);  // 5 sigma is ~0.01 for 20000 uniforms
}

}  // namespace
}  // namespace seedline::tasks
