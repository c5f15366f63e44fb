// Architecture and representation parsing: tensor names, shapes and fan-ins of every layer
// type, and errors that name the offending field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "genome/architecture.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

TEST(Architecture, EveryLayerTypeGivesItsTensors) {
  const auto arch = parse_architecture(json::parse(R"([
      {"type": "conv", "in": 3, "out": 8, "kernel": [3, 5], "activation": "relu"},
      {"type": "layer_norm"},
      {"type": "dense", "out": 4, "bias": false, "activation": "tanh"},
      {"type": "bias"},
      {"type": "embedding", "vocab": 10, "dim": 6}])"),
                                       std::nullopt);
  struct Expected {
    const char* name;
    TensorKind kind;
    std::vector<int64_t> shape;
    int64_t fan_in;
    bool evolvable;
  };
  const Expected expected[] = {
      {"layers.0.weight", TensorKind::kConvKernel, {8, 3, 3, 5}, 45, true},
      {"layers.0.bias", TensorKind::kBias, {8}, 1, true},
      {"layers.1.scale", TensorKind::kNormScale, {8}, 1, false},
      {"layers.1.bias", TensorKind::kNormBias, {8}, 1, false},
      {"layers.2.weight", TensorKind::kDenseWeight, {4, 8}, 8, true},
      {"layers.3.bias", TensorKind::kBias, {4}, 1, true},
      {"layers.4.weight", TensorKind::kEmbedding, {10, 6}, 6, true},
  };
  ASSERT_EQ(arch.tensors.size(), std::size(expected));
  for (size_t i = 0; i < arch.tensors.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(arch.tensors[i].name, expected[i].name);
    EXPECT_EQ(arch.tensors[i].kind, expected[i].kind);
    EXPECT_EQ(arch.tensors[i].shape, expected[i].shape);
    EXPECT_EQ(arch.tensors[i].fan_in, expected[i].fan_in);
    EXPECT_EQ(arch.tensors[i].evolvable, expected[i].evolvable);
  }
  ASSERT_EQ(arch.layers.size(), 5u);
  EXPECT_EQ(arch.layers[0].activation, nn::Activation::kRelu);
  EXPECT_EQ(arch.layers[0].tensors, (std::vector<int>{0, 1}));
  EXPECT_EQ(arch.layers[2].activation, nn::Activation::kTanh);
  EXPECT_EQ(arch.layers[2].tensors, (std::vector<int>{4}));
  EXPECT_EQ(arch.parameter_count(), 8 * 45 + 8 + 16 + 32 + 4 + 60);
  EXPECT_FALSE(arch.is_mlp());
}

TEST(Architecture, InputSizeComesFromTheTask) {
  const auto arch = parse_architecture(json::parse(R"([{"type": "dense", "out": 32, "activation": "relu"},
                                                        {"type": "dense", "out": 2}])"),
                                       4);
  ASSERT_EQ(arch.tensors.size(), 4u);
  EXPECT_EQ(arch.tensors[0].shape, (std::vector<int64_t>{32, 4}));
  EXPECT_EQ(arch.tensors[2].shape, (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(arch.tensors[2].fan_in, 32);
  EXPECT_TRUE(arch.is_mlp());
  EXPECT_EQ(arch.parameter_count(), 32 * 4 + 32 + 2 * 32 + 2);
  // An explicit "in" that agrees is fine.
  EXPECT_NO_THROW(parse_architecture(json::parse(R"([{"type": "dense", "in": 4, "out": 2}])"), 4));
}

TEST(Architecture, ErrorsNameTheField) {
  struct Case {
    const char* name;
    const char* network;
    std::optional<int> input;
    const char* message;
  };
  const Case cases[] = {
      {"not a list", R"({"type": "dense"})", 4, "network: must be a non-empty list of layers"},
      {"empty", R"([])", 4, "network: must be a non-empty list of layers"},
      {"layer not an object", R"([3])", 4, "network[0]: must be an object"},
      {"missing type", R"([{"out": 3}])", 4, "network[0].type: is required"},
      {"unknown type", R"([{"type": "dense", "out": 2}, {"type": "lstm"}])", 4,
       "network[1].type: unknown layer type 'lstm'"},
      {"negative out", R"([{"type": "dense", "out": 2}, {"type": "dense", "out": -3}])", 4,
       "network[1].out: must be an integer from 1"},
      {"missing out", R"([{"type": "dense"}])", 4, "network[0].out: is required"},
      {"out not a number", R"([{"type": "dense", "out": "8"}])", 4, "network[0].out: must be an integer"},
      {"missing in without task input", R"([{"type": "dense", "out": 2}])", std::nullopt,
       "network[0].in: is required on the first layer"},
      {"in disagrees with task", R"([{"type": "dense", "in": 5, "out": 2}])", 4,
       "network[0].in: must equal the task's input size 4 (got 5)"},
      {"in disagrees with previous", R"([{"type": "dense", "in": 4, "out": 2}, {"type": "dense", "in": 3, "out": 1}])",
       std::nullopt, "network[1].in: must equal the previous layer's output width 2 (got 3)"},
      {"unknown activation", R"([{"type": "dense", "out": 2, "activation": "gelu"}])", 4,
       "network[0].activation: unknown activation 'gelu'"},
      {"bias not a bool", R"([{"type": "dense", "out": 2, "bias": 0}])", 4, "network[0].bias: must be true or false"},
      {"unknown field", R"([{"type": "dense", "out": 2, "units": 3}])", 4, "network[0].units: unknown field"},
      {"conv without kernel", R"([{"type": "conv", "in": 3, "out": 2}])", std::nullopt, "network[0].kernel: is required"},
      {"conv bad kernel", R"([{"type": "conv", "in": 3, "out": 2, "kernel": [3]}])", std::nullopt,
       "network[0].kernel: must be a positive integer or a list [h, w]"},
      {"embedding without dim", R"([{"type": "embedding", "vocab": 5}])", 4, "network[0].dim: is required"},
      {"embedding with activation", R"([{"type": "embedding", "vocab": 5, "dim": 2, "activation": "relu"}])", 4,
       "network[0].activation: unknown field"},
      {"too many parameters", R"([{"type": "dense", "in": 16777216, "out": 16777216}])", std::nullopt,
       "network[0]: tensor layers.0.weight has 281474976710656 values"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      parse_architecture(json::parse(c.network), c.input);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
    }
  }
}

TEST(Representation, ParsesAndRoundTrips) {
  const auto direct = parse_representation(json{{"type", "direct"}});
  EXPECT_EQ(direct.type, Representation::Type::kDirect);
  EXPECT_EQ(direct.to_json(), json({{"type", "direct"}}));
  const auto f = parse_representation(json{{"type", "factorized"}, {"rank", 3}});
  EXPECT_EQ(f.type, Representation::Type::kFactorized);
  EXPECT_EQ(f.rank, 3);
  EXPECT_FALSE(f.embedding_rank);
  const auto fe = parse_representation(json{{"type", "factorized"}, {"rank", 3}, {"embedding_rank", 5}});
  EXPECT_EQ(fe.embedding_rank, 5);
  EXPECT_EQ(parse_representation(fe.to_json()).to_json(), fe.to_json());
}

TEST(Representation, ErrorsNameTheField) {
  struct Case {
    const char* name;
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"not an object", R"("direct")", "representation: must be an object"},
      {"missing type", R"({})", "representation.type: is required"},
      {"unknown type", R"({"type": "lowrank"})", "representation.type: unknown representation 'lowrank'"},
      {"missing rank", R"({"type": "factorized"})", "representation.rank: is required"},
      {"zero rank", R"({"type": "factorized", "rank": 0})", "representation.rank: must be an integer from 1"},
      {"bad embedding rank", R"({"type": "factorized", "rank": 2, "embedding_rank": -1})",
       "representation.embedding_rank: must be an integer from 1"},
      {"rank on direct", R"({"type": "direct", "rank": 2})", "representation.rank: unknown field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      parse_representation(json::parse(c.json));
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace seedline::genome
