// Sphere and Rastrigin on the phenotype, with and without shift.
#include "tasks/function_tasks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "tasks/test_policies.hpp"
#include "util/error.hpp"

namespace seedline::tasks {
namespace {

TEST(FunctionTasks, SphereIsNegatedSumOfSquares) {
  const SphereTask sphere;
  EXPECT_EQ(sphere.score(std::vector<float>{}), 0.0);
  EXPECT_EQ(sphere.score(std::vector<float>{0, 0, 0}), 0.0);
  EXPECT_EQ(sphere.score(std::vector<float>{1, -2, 0.5f}), -(1 + 4 + 0.25));
  const SphereTask shifted(1.5);
  EXPECT_EQ(shifted.score(std::vector<float>{1.5f, 1.5f}), 0.0);
  EXPECT_EQ(shifted.score(std::vector<float>{0.5f, 3.5f}), -(1.0 + 4.0));
}

// By hand: rastrigin(x) = 10 n + sum(x^2 - 10 cos(2 pi x)); integers make cos = 1, so the
// cost is sum(x^2); at x = 0.5 cos = -1, cost per coordinate 10 + 0.25 + 10.
TEST(FunctionTasks, RastriginMatchesDefinition) {
  const RastriginTask rastrigin;
  EXPECT_NEAR(rastrigin.score(std::vector<float>{0, 0, 0, 0}), 0.0, 1e-12);
  EXPECT_NEAR(rastrigin.score(std::vector<float>{1, -2}), -5.0, 1e-12);
  EXPECT_NEAR(rastrigin.score(std::vector<float>{0.5f}), -20.25, 1e-12);
  EXPECT_NEAR(rastrigin.score(std::vector<float>{0.25f}), -(10 + 0.0625 - 10 * std::cos(std::numbers::pi / 2)), 1e-12);
  const RastriginTask shifted(-2);
  EXPECT_NEAR(shifted.score(std::vector<float>{-2, -2, -2}), 0.0, 1e-12);
  EXPECT_NEAR(shifted.score(std::vector<float>{-1.5f}), -20.25, 1e-12);
}

TEST(FunctionTasks, NonFiniteParametersScoreMinusInfinity) {
  const float inf = std::numeric_limits<float>::infinity();
  const double minus_inf = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(SphereTask().score(std::vector<float>{1, std::nanf("")}), minus_inf);
  EXPECT_EQ(SphereTask().score(std::vector<float>{inf}), minus_inf);
  EXPECT_EQ(RastriginTask().score(std::vector<float>{std::nanf("")}), minus_inf);
  EXPECT_EQ(RastriginTask().score(std::vector<float>{-inf, 0}), minus_inf);
}

TEST(FunctionTasks, DescribeThemselvesAndRefuseEpisodes) {
  const SphereTask sphere;
  EXPECT_TRUE(sphere.scores_phenotype());
  EXPECT_EQ(sphere.observation_size(), 0);
  EXPECT_EQ(sphere.action_size(), 0);
  EXPECT_EQ(sphere.episodes(), 1);
  testing::ConstantPolicy policy({});
  try {
    sphere.run_episode(policy, 1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("'sphere'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seedline::tasks
