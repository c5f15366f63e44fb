// nn::Mlp and activations: forward passes against values computed by hand, shape checks.
#include "nn/mlp.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#include "util/error.hpp"

namespace seedline::nn {
namespace {

using ::testing::HasSubstr;

DenseLayer layer(int out, int in, std::vector<float> row_major, std::vector<float> bias, Activation act) {
  DenseLayer l;
  l.weight.resize(out, in);
  for (int r = 0; r < out; ++r) {
    for (int c = 0; c < in; ++c) l.weight(r, c) = row_major[static_cast<size_t>(r * in + c)];
  }
  l.bias = Eigen::Map<Eigen::VectorXf>(bias.data(), static_cast<Eigen::Index>(bias.size()));
  l.activation = act;
  return l;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

// 3 inputs -> 2 relu units -> 1 linear output. By hand, x = (1, 2, -1):
//   h0 = relu(0.5*1 - 1*2 + 2*-1 + 0.5) = relu(-3.0) = 0
//   h1 = relu(1*1 + 0.25*2 + 0*-1 - 1) = relu(0.5)   = 0.5
//   y  = 2*h0 - 3*h1 + 0.25 = -1.25
TEST(Mlp, TinyForwardMatchesHandComputation) {
  std::vector<DenseLayer> layers;
  layers.push_back(layer(2, 3, {0.5f, -1.0f, 2.0f, 1.0f, 0.25f, 0.0f}, {0.5f, -1.0f}, Activation::kRelu));
  layers.push_back(layer(1, 2, {2.0f, -3.0f}, {0.25f}, Activation::kLinear));
  const Mlp mlp(std::move(layers));
  EXPECT_EQ(mlp.input_size(), 3);
  EXPECT_EQ(mlp.output_size(), 1);
  EXPECT_EQ(mlp.parameter_count(), 6 + 2 + 2 + 1);
  Scratch scratch = mlp.make_scratch();
  const std::array<float, 3> x{1.0f, 2.0f, -1.0f};
  std::array<float, 1> y{};
  mlp.forward(x, y, scratch);
  EXPECT_FLOAT_EQ(y[0], -1.25f);
  // x = (0, 0, 1): h0 = relu(2.5) = 2.5, h1 = relu(-1) = 0, y = 5.25.
  mlp.forward(std::array<float, 3>{0.0f, 0.0f, 1.0f}, y, scratch);
  EXPECT_FLOAT_EQ(y[0], 5.25f);
}

// weight(r, c) is the weight from input c to output r: a 2x3 layer maps 3 inputs to 2 outputs.
TEST(Mlp, WeightIsOutByIn) {
  std::vector<DenseLayer> layers;
  layers.push_back(layer(2, 3, {1, 0, 0, 0, 0, 10}, {}, Activation::kLinear));
  const Mlp mlp(std::move(layers));
  Scratch scratch;  // default-constructed: forward sizes it
  std::array<float, 2> y{};
  mlp.forward(std::array<float, 3>{3.0f, 4.0f, 5.0f}, y, scratch);
  EXPECT_EQ(y[0], 3.0f);
  EXPECT_EQ(y[1], 50.0f);
}

// Layers with more than 4 outputs take Eigen's GEMV path, the others per-output dot products;
// both read weight(r, c) the same way. W(r, c) = 10 r + c, x = (1, 2, 3), bias r:
// y_r = 10 r (1 + 2 + 3) + (0 + 2 + 6) + r = 61 r + 8.
TEST(Mlp, WideAndNarrowLayersShareTheConvention) {
  for (const int out : {1, 4, 5, 9}) {
    std::vector<float> w, b;
    for (int r = 0; r < out; ++r) {
      for (int c = 0; c < 3; ++c) w.push_back(static_cast<float>(10 * r + c));
      b.push_back(static_cast<float>(r));
    }
    std::vector<DenseLayer> layers;
    layers.push_back(layer(out, 3, w, b, Activation::kLinear));
    const Mlp mlp(std::move(layers));
    Scratch scratch = mlp.make_scratch();
    std::vector<float> y(static_cast<size_t>(out));
    mlp.forward(std::array<float, 3>{1.0f, 2.0f, 3.0f}, y, scratch);
    for (int r = 0; r < out; ++r) EXPECT_EQ(y[static_cast<size_t>(r)], 61.0f * r + 8.0f) << out << " outputs, row " << r;
  }
}

TEST(Mlp, ThreeLayersPingPongThroughScratch) {
  // Identity-like chain 2 -> 4 -> 3 -> 2 with biases: every layer adds its bias.
  std::vector<DenseLayer> layers;
  layers.push_back(layer(4, 2, {1, 0, 0, 1, 1, 1, 0, 0}, {0, 0, 0, 1}, Activation::kLinear));
  layers.push_back(layer(3, 4, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1}, {0, 0, 0}, Activation::kLinear));
  layers.push_back(layer(2, 3, {1, 1, 0, 0, 0, 1}, {0.5f, -0.5f}, Activation::kLinear));
  const Mlp mlp(std::move(layers));
  Scratch scratch = mlp.make_scratch();
  const float* front = scratch.front.data();
  const float* back = scratch.back.data();
  std::array<float, 2> y{};
  // x = (2, 3): l0 = (2, 3, 5, 1); l1 = (2, 3, 6); l2 = (5.5, 5.5).
  mlp.forward(std::array<float, 2>{2.0f, 3.0f}, y, scratch);
  EXPECT_EQ(y[0], 5.5f);
  EXPECT_EQ(y[1], 5.5f);
  mlp.forward(std::array<float, 2>{0.0f, 0.0f}, y, scratch);
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[1], 0.5f);
  // The buffers made by make_scratch are reused, never reallocated.
  EXPECT_EQ(scratch.front.data(), front);
  EXPECT_EQ(scratch.back.data(), back);
}

TEST(Activation, ValuesTable) {
  struct Case {
    Activation activation;
    float x;
    float expected;
  };
  const float s2 = static_cast<float>(1.0 / (1.0 + std::exp(-2.0)));
  const Case cases[] = {
      {Activation::kLinear, -2.5f, -2.5f},      {Activation::kRelu, -2.5f, 0.0f},
      {Activation::kRelu, 1.5f, 1.5f},          {Activation::kRelu, 0.0f, 0.0f},
      {Activation::kTanh, 0.0f, 0.0f},          {Activation::kTanh, 1.0f, static_cast<float>(std::tanh(1.0))},
      {Activation::kTanh, -3.0f, static_cast<float>(std::tanh(-3.0))},
      {Activation::kSigmoid, 0.0f, 0.5f},       {Activation::kSigmoid, 2.0f, s2},
      {Activation::kSigmoid, -2.0f, 1.0f - s2}, {Activation::kSigmoid, 200.0f, 1.0f},
      {Activation::kSigmoid, -200.0f, 0.0f},    {Activation::kTanh, 50.0f, 1.0f},
  };
  for (const Case& c : cases) {
    Eigen::VectorXf v(1);
    v(0) = c.x;
    apply_activation(c.activation, v);
    EXPECT_NEAR(v(0), c.expected, 1e-6f) << activation_name(c.activation) << "(" << c.x << ")";
  }
}

TEST(Activation, ParsesNamesAndRejectsOthers) {
  for (const Activation a : {Activation::kLinear, Activation::kRelu, Activation::kTanh, Activation::kSigmoid}) {
    EXPECT_EQ(parse_activation(activation_name(a)), a);
  }
  EXPECT_THAT(error_of([] { parse_activation("softmax"); }), HasSubstr("'softmax'"));
  EXPECT_THAT(error_of([] { parse_activation("ReLU"); }), HasSubstr("'ReLU'"));
}

TEST(Mlp, ShapeMismatchNamesTheLayer) {
  EXPECT_THAT(error_of([] { Mlp{std::vector<DenseLayer>{}}; }), HasSubstr("at least one layer"));
  EXPECT_THAT(error_of([] {
                std::vector<DenseLayer> layers;
                layers.push_back(layer(3, 2, {0, 0, 0, 0, 0, 0}, {}, Activation::kRelu));
                layers.push_back(layer(1, 4, {0, 0, 0, 0}, {}, Activation::kLinear));
                Mlp{std::move(layers)};
              }),
              HasSubstr("layer 1: weight shape 1x4 expects 4 inputs but layer 0 has 3 outputs"));
  EXPECT_THAT(error_of([] {
                std::vector<DenseLayer> layers;
                layers.push_back(layer(2, 2, {0, 0, 0, 0}, {1, 2, 3}, Activation::kRelu));
                Mlp{std::move(layers)};
              }),
              HasSubstr("layer 0: bias length 3"));
  EXPECT_THAT(error_of([] {
                std::vector<DenseLayer> layers;
                layers.push_back(layer(2, 2, {0, 0, 0, 0}, {}, Activation::kRelu));
                layers.push_back(DenseLayer{});
                Mlp{std::move(layers)};
              }),
              HasSubstr("layer 1: weight shape 0x0 is empty"));
}

TEST(Mlp, ForwardRejectsWrongSpanSizes) {
  std::vector<DenseLayer> layers;
  layers.push_back(layer(2, 3, {0, 0, 0, 0, 0, 0}, {}, Activation::kLinear));
  const Mlp mlp(std::move(layers));
  Scratch scratch = mlp.make_scratch();
  std::array<float, 2> y{};
  std::array<float, 1> small{};
  EXPECT_THAT(error_of([&] { mlp.forward(std::array<float, 4>{}, y, scratch); }),
              HasSubstr("input has 4 values, expected 3"));
  EXPECT_THAT(error_of([&] { mlp.forward(std::array<float, 3>{}, small, scratch); }),
              HasSubstr("output has 1 values, expected 2"));
}

// One Mlp shared by several threads, each with its own Scratch, gives the sequential results.
TEST(Mlp, ConstForwardIsSharedAcrossThreads) {
  std::vector<DenseLayer> layers;
  std::vector<float> w1(16 * 4), w2(2 * 16);
  for (size_t i = 0; i < w1.size(); ++i) w1[i] = std::sin(static_cast<float>(i));
  for (size_t i = 0; i < w2.size(); ++i) w2[i] = std::cos(static_cast<float>(i));
  layers.push_back(layer(16, 4, w1, std::vector<float>(16, 0.1f), Activation::kTanh));
  layers.push_back(layer(2, 16, w2, {}, Activation::kLinear));
  const Mlp mlp(std::move(layers));
  auto run = [&mlp](int thread, std::vector<float>& out) {
    Scratch scratch = mlp.make_scratch();
    std::array<float, 2> y{};
    for (int i = 0; i < 2000; ++i) {
      const float t = static_cast<float>(thread * 2000 + i) * 0.001f;
      mlp.forward(std::array<float, 4>{t, -t, 0.5f * t, 1.0f}, y, scratch);
      out.push_back(y[0]);
      out.push_back(y[1]);
    }
  };
  std::vector<std::vector<float>> sequential(4), parallel(4);
  for (int t = 0; t < 4; ++t) run(t, sequential[static_cast<size_t>(t)]);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(run, t, std::ref(parallel[static_cast<size_t>(t)]));
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(sequential, parallel);
}

}  // namespace
}  // namespace seedline::nn
