// Architecture and representation parsing: tensor names, shapes and fan-ins of every layer
// type, and errors that name the offending field.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "genome/architecture.hpp"
#include "genome/table2_networks.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;
using namespace seedline::genome::testing;

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

TEST(Architecture, Table2NetworksHaveThePapersParameterCounts) {
  struct Case {
    const char* name;
    const char* network;
    std::vector<int64_t> input;
    int64_t phenotype;
    std::vector<int64_t> flatten;  // what the flatten gives
  };
  // Phenotype counts by hand, e.g. CarRacing: conv 12*16*32+32, 32*16*64+64, 64*16*128+128,
  // 128*16*256+256 (64 -> 31 -> 14 -> 6 -> 2), flatten 256*2*2 = 1024, dense 1024*256+256,
  // 256*3+3 = 957,923.
  const Case cases[] = {
      {"CarRacing", kCarRacing, {12, 64, 64}, 957923, {1024}},
      {"CarRacing small", kCarRacingSmall, {12, 64, 64}, 5795, {64}},
      {"Atari", kAtari, {12, 84, 84}, 902066, {3136}},
      {"Atari small", kAtariSmall, {12, 84, 84}, 17350, {392}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto arch = parse_architecture(json::parse(c.network), c.input);
    EXPECT_EQ(arch.parameter_count(), c.phenotype);
    const auto flatten = std::find_if(arch.layers.begin(), arch.layers.end(),
                                      [](const LayerSpec& l) { return l.type == "flatten"; });
    ASSERT_NE(flatten, arch.layers.end());
    EXPECT_EQ(flatten->output_shape, c.flatten);
  }
  // The Atari conv stack's shapes: 12x84x84 -> 32x20x20 -> 64x9x9 -> 64x7x7.
  const auto atari = parse_architecture(json::parse(kAtari), std::vector<int64_t>{12, 84, 84});
  EXPECT_EQ(atari.layers[0].output_shape, (std::vector<int64_t>{32, 20, 20}));
  EXPECT_EQ(atari.layers[1].output_shape, (std::vector<int64_t>{64, 9, 9}));
  EXPECT_EQ(atari.layers[2].output_shape, (std::vector<int64_t>{64, 7, 7}));
  EXPECT_EQ(atari.tensors[4].shape, (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(atari.tensors[4].fan_in, 576);
}

TEST(Architecture, ConvStridePaddingAndFlatten) {
  const auto arch = parse_architecture(json::parse(R"([
      {"type": "conv", "out": 6, "kernel": [3, 5], "stride": [2, 1], "padding": [1, 2], "activation": "tanh"},
      {"type": "flatten"},
      {"type": "dense", "out": 2}])"),
                                       std::vector<int64_t>{3, 7, 9});
  ASSERT_EQ(arch.layers.size(), 3u);
  EXPECT_EQ(arch.layers[0].input_shape, (std::vector<int64_t>{3, 7, 9}));
  // (7 + 2 - 3) / 2 + 1 = 4 rows, (9 + 4 - 5) / 1 + 1 = 9 columns.
  EXPECT_EQ(arch.layers[0].output_shape, (std::vector<int64_t>{6, 4, 9}));
  EXPECT_EQ(arch.layers[0].stride_h, 2);
  EXPECT_EQ(arch.layers[0].stride_w, 1);
  EXPECT_EQ(arch.layers[0].padding_h, 1);
  EXPECT_EQ(arch.layers[0].padding_w, 2);
  EXPECT_TRUE(arch.layers[1].tensors.empty());
  EXPECT_EQ(arch.layers[1].output_shape, (std::vector<int64_t>{216}));
  EXPECT_EQ(arch.tensors[2].shape, (std::vector<int64_t>{2, 216}));
  // A function task's first conv layer may give the whole image shape as "in".
  const auto own = parse_architecture(
      json::parse(R"([{"type": "conv", "in": [2, 5, 5], "out": 1, "kernel": 5}, {"type": "flatten"}])"), std::nullopt);
  EXPECT_EQ(own.layers[1].output_shape, (std::vector<int64_t>{1}));
  EXPECT_EQ(own.parameter_count(), 2 * 25 + 1);
}

TEST(Architecture, PerLayerRepresentationOverridesTheConditions) {
  const auto arch = parse_architecture(json::parse(R"([
      {"type": "dense", "out": 8, "representation": {"type": "factorized", "rank": 3}},
      {"type": "dense", "out": 2, "representation": {"type": "direct"}}])"),
                                       4);
  const Representation condition{Representation::Type::kFactorized, 1, std::nullopt};
  EXPECT_EQ(arch.representation_of(0, condition).rank, 3);
  EXPECT_EQ(arch.representation_of(1, condition).rank, 3);  // the layer's bias: same layer
  EXPECT_EQ(arch.representation_of(2, condition).type, Representation::Type::kDirect);
  const auto plain = parse_architecture(json::parse(R"([{"type": "dense", "out": 2}])"), 4);
  EXPECT_EQ(plain.representation_of(0, condition).rank, 1);
}

TEST(Architecture, PixelNetworkErrorsNameTheField) {
  struct Case {
    const char* name;
    const char* network;
    std::vector<int64_t> input;
    const char* message;
  };
  const Case cases[] = {
      {"dense on an image", R"([{"type": "conv", "out": 2, "kernel": 3}, {"type": "dense", "out": 2}])",
       {1, 8, 8}, "network[1]: a dense layer needs a flat input but receives 2x6x6; add {\"type\": \"flatten\"}"},
      {"dense first on an image", R"([{"type": "dense", "out": 2}])", {3, 4, 4},
       "network[0]: a dense layer needs a flat input but receives 3x4x4 from the task"},
      {"kernel larger than the input", R"([{"type": "conv", "out": 2, "kernel": 4, "stride": 2},
                                           {"type": "conv", "out": 2, "kernel": 4}])",
       {1, 8, 8}, "network[1]: the 4x4 kernel does not fit its 2x3x3 input (padding 0x0)"},
      {"zero stride", R"([{"type": "conv", "out": 2, "kernel": 3, "stride": 0}])", {1, 8, 8},
       "network[0].stride: must be a positive integer or a list [h, w]"},
      {"negative padding", R"([{"type": "conv", "out": 2, "kernel": 3, "padding": [1, -1]}])", {1, 8, 8},
       "network[0].padding: must be a non-negative integer or a list [h, w]"},
      {"channels disagree", R"([{"type": "conv", "in": 4, "out": 2, "kernel": 3}])", {3, 8, 8},
       "network[0].in: must equal the task's input channels 3 (got 4)"},
      {"bad in list", R"([{"type": "conv", "in": [3, 8], "out": 2, "kernel": 3}])", {},
       "network[0].in: must be a channel count or a list [C, H, W]"},
      {"flatten first without input", R"([{"type": "flatten"}])", {},
       "network[0]: flatten cannot be the first layer of a task without input"},
      {"flatten with a field", R"([{"type": "flatten", "out": 3}])", {1, 2, 2}, "network[0].out: unknown field"},
      {"bad layer representation", R"([{"type": "flatten"}, {"type": "dense", "out": 2, "representation": {"type": "factorized"}}])",
       {1, 2, 2}, "network[1].representation.rank: is required"},
      {"representation on a bias layer", R"([{"type": "flatten"}, {"type": "bias", "representation": {"type": "direct"}}])",
       {1, 2, 2}, "network[1].representation: unknown field"},
      {"observation shape of two", R"([{"type": "flatten"}])", {2, 2},
       "network: the task's observation shape must be [n] or [C, H, W] (got 2x2)"},
      {"zero-sized observation", R"([{"type": "flatten"}])", {3, 0, 4},
       "network: the task's observation shape: every dimension must be from 1"},
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
