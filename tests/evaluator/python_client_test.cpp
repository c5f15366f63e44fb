// python/seedline_evaluator.py against independent references: its numpy conv and policy
// builder against PyTorch and its reply encoder (tests/evaluator/check_client.py), and the
// policy it builds from a real HELLO (tensor names and shapes from a parsed architecture)
// against seedline's own nn::Mlp on the same weights.
#include <gtest/gtest.h>

#include <random>

#include "evaluator/pool.hpp"
#include "evaluator_testing.hpp"
#include "genome/architecture.hpp"
#include "genome/genome.hpp"
#include "runner/external_executor.hpp"
#include "support/temp_dir.hpp"

namespace seedline::evaluator {
namespace {

TEST(PythonClient, ConvPolicyAndRepliesMatchTheReferences) {
  const auto r = seedline::testing::run_process(
      {testing::python(), (seedline::testing::source_dir() / "tests" / "evaluator" / "check_client.py").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok\n") << r.err;
}

TEST(PythonClient, BuildPolicyFromTheHelloComputesWhatSeedlinesMlpComputes) {
  seedline::testing::TempDir dir;
  const nlohmann::json network = nlohmann::json::parse(
      R"([{"type": "dense", "out": 5, "activation": "tanh"}, {"type": "dense", "out": 2, "activation": "sigmoid"}])");
  const auto arch = genome::parse_architecture(network, 3);
  std::vector<float> phenotype(static_cast<size_t>(arch.parameter_count()));
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 0.7f);
  for (float& v : phenotype) v = normal(gen);

  PoolOptions o;
  o.command = testing::fault_command("policy", (dir / "evaluators").string());
  o.weights_bytes = phenotype.size() * sizeof(float);
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors;
  for (const auto& t : arch.tensors) tensors.emplace_back(t.name, t.shape);
  o.hello = make_hello(tensors, runner::describe_network(arch, network), {{"type", "external"}});
  std::vector<ItemResult> results;
  {
    EvaluatorPool pool(o);
    const Item item{0, 0, 1};
    results = pool.evaluate(
        std::span<const Item>(&item, 1), [&](int) { return std::span<const float>(phenotype); },
        [](size_t) { return std::string("the test individual"); }, {});
  }
  const auto mlp = genome::build_mlp(arch, phenotype, 1);
  const std::vector<float> obs = {0.1f, 0.2f, 0.3f};
  std::vector<float> expected(2);
  nn::Scratch scratch;
  mlp.forward(obs, expected, scratch);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].metrics.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(results[0].metrics[i].first, "out" + std::to_string(i));
    // float32 in both; tanh/sigmoid kernels differ in the last bits (Eigen vs numpy).
    EXPECT_NEAR(results[0].metrics[i].second, expected[i], 1e-5) << i;
  }
  EXPECT_EQ(testing::wait_until_gone((dir / "evaluators").string(), 0), std::vector<int>{});
}

}  // namespace
}  // namespace seedline::evaluator
