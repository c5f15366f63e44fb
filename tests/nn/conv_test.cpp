// nn::conv2d_forward and nn::ConvNet against PyTorch (tests/nn/reference/conv_reference.py,
// torch.nn.functional.conv2d / linear in float64) for several kernel/stride/padding
// combinations and a whole small Table 2-like network built through the genome, at kernel
// versions 1 (Eigen) and 3 (src/kernels/), the dense policies likewise, plus the GEMM path
// against the plain loops, version 3 against its defined fma order, and the shape checks.
//
// Tolerance: every output element within 1e-5 relative of PyTorch's, where "relative" is
// to max(|torch value|, largest |value| of that output): float32 sums of a few hundred
// products carry ~1e-6 relative rounding, and an element that cancels to near 0 can only be
// judged against the scale of its neighbours.
#include "nn/conv.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "genome/genome.hpp"
#include "genome/policy_network.hpp"
#include "kernels/dispatch.hpp"
#include "nn/conv_net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::nn {
namespace {

using nlohmann::json;
using seedline::testing::TempDir;

constexpr double kRelativeTolerance = 1e-5;

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

json floats(const std::vector<float>& v) {
  json a = json::array();
  for (const float x : v) a.push_back(static_cast<double>(x));
  return a;
}

// The Python with PyTorch: $SEEDLINE_TORCH_PYTHON, else Debian's /usr/bin/python3 (where the
// python3-torch package installs; a pyenv or venv python3 first in PATH may lack it), else
// python3 from PATH.
std::string torch_python() {
  if (const char* p = std::getenv("SEEDLINE_TORCH_PYTHON"); p != nullptr && *p != '\0') return p;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

// Runs the reference script on `cases`; returns {name: outputs}.
json torch_outputs(const json& cases) {
  TempDir dir;
  seedline::testing::write_file(dir / "cases.json", json{{"cases", cases}}.dump());
  const auto script = seedline::testing::source_dir() / "tests" / "nn" / "reference" / "conv_reference.py";
  const auto r = seedline::testing::run_process(
      {torch_python(), script.string(), (dir / "cases.json").string(), (dir / "out.json").string()});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "the PyTorch reference failed (python3-torch is a test dependency, scripts/setup.sh): "
                  << r.err;
    return json::object();
  }
  return json::parse(seedline::testing::read_file(dir / "out.json"));
}

void expect_close(const std::vector<float>& ours, const json& torch, const std::string& name) {
  SCOPED_TRACE(name);
  ASSERT_EQ(ours.size(), torch.size());
  double scale = 0;
  for (const auto& t : torch) scale = std::max(scale, std::fabs(t.get<double>()));
  ASSERT_GT(scale, 0.0) << "a degenerate case: every output is 0";
  for (size_t i = 0; i < ours.size(); ++i) {
    const double t = torch[i].get<double>();
    const double bound = kRelativeTolerance * std::max(std::fabs(t), scale);
    ASSERT_NEAR(ours[i], t, bound) << "output " << i;
  }
}

struct ConvCase {
  const char* name;
  int64_t c, h, w, o, kh, kw, sh, sw, ph, pw;
  bool bias;
  Activation activation;
};

// Kernel sizes, strides and paddings as Table 2 uses them (k4 s2, k8 s4, k3 s1), plus
// rectangular kernels, unequal strides, padding wider than the kernel reach and 1x1.
const ConvCase kConvCases[] = {
    {"3x7x9 k3 s1 p0", 3, 7, 9, 4, 3, 3, 1, 1, 0, 0, true, Activation::kLinear},
    {"12x16x16 k4 s2 relu (CarRacing)", 12, 16, 16, 8, 4, 4, 2, 2, 0, 0, true, Activation::kRelu},
    {"4x21x21 k8 s4 (Atari first)", 4, 21, 21, 5, 8, 8, 4, 4, 0, 0, true, Activation::kRelu},
    {"2x6x11 k3x5 s2x1 p1x2", 2, 6, 11, 3, 3, 5, 2, 1, 1, 2, true, Activation::kTanh},
    {"5x5x5 k3 s1 p3 no bias", 5, 5, 5, 2, 3, 3, 1, 1, 3, 3, false, Activation::kLinear},
    {"6x9x7 k1 s3", 6, 9, 7, 4, 1, 1, 3, 3, 0, 0, true, Activation::kSigmoid},
    {"1x4x4 k4 s1 (one output)", 1, 4, 4, 2, 4, 4, 1, 1, 0, 0, true, Activation::kLinear},
    {"3x10x3 k2x3 s3x2 p0x1", 3, 10, 3, 3, 2, 3, 3, 2, 0, 1, true, Activation::kRelu},
};

struct ConvData {
  ConvGeometry g;
  std::vector<float> x, kernel, bias;
};

ConvData make_data(const ConvCase& c, uint32_t seed) {
  ConvData d;
  d.g = ConvGeometry::make(c.c, c.h, c.w, c.o, c.kh, c.kw, c.sh, c.sw, c.ph, c.pw);
  d.x = random_values(static_cast<size_t>(d.g.input_size()), seed);
  d.kernel = random_values(static_cast<size_t>(d.g.kernel_size()), seed + 1);
  if (c.bias) d.bias = random_values(static_cast<size_t>(c.o), seed + 2);
  return d;
}

std::vector<float> run_conv(const ConvData& d, Activation act, int kernel_version = 1) {
  std::vector<float> y(static_cast<size_t>(d.g.output_size()));
  // NaN in the scratch: whatever conv2d_forward reads must be what it wrote (the padding too).
  std::vector<float> cols(static_cast<size_t>(d.g.cols_size(kernel_version)), std::nanf(""));
  conv2d_forward(d.g, d.x.data(), d.kernel.data(), d.bias.empty() ? nullptr : d.bias.data(), act, y.data(),
                 cols.data(), kernel_version);
  return y;
}

std::vector<uint32_t> bits(const std::vector<float>& v) {
  std::vector<uint32_t> out;
  for (const float f : v) out.push_back(std::bit_cast<uint32_t>(f));
  return out;
}

TEST(Conv2d, OutputSizeFollowsTheFormula) {
  // CarRacing: 64 -> 31 -> 14 -> 6 -> 2 with k4 s2; Atari: 84 -> 20 -> 9 -> 7.
  EXPECT_EQ(ConvGeometry::make(12, 64, 64, 32, 4, 4, 2, 2, 0, 0).out_h, 31);
  EXPECT_EQ(ConvGeometry::make(32, 31, 31, 64, 4, 4, 2, 2, 0, 0).out_h, 14);
  EXPECT_EQ(ConvGeometry::make(12, 84, 84, 32, 8, 8, 4, 4, 0, 0).out_w, 20);
  EXPECT_EQ(ConvGeometry::make(64, 9, 9, 64, 3, 3, 1, 1, 0, 0).out_w, 7);
  EXPECT_EQ(ConvGeometry::make(1, 5, 5, 1, 3, 3, 1, 1, 1, 1).out_h, 5);  // "same" padding
  EXPECT_THAT([] { ConvGeometry::make(1, 3, 3, 1, 4, 4, 1, 1, 0, 0); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("kernel does not fit the 3x3 input")));
  EXPECT_THROW(ConvGeometry::make(1, 3, 3, 1, 1, 1, 0, 1, 0, 0), Error);
  EXPECT_THROW(ConvGeometry::make(1, 3, 3, 1, 1, 1, 1, 1, -1, 0), Error);
}

TEST(Conv2d, GemmPathEqualsTheLoops) {
  uint32_t seed = 100;
  for (const auto& c : kConvCases) {
    const ConvData d = make_data(c, seed += 10);
    const auto fast = run_conv(d, c.activation);
    std::vector<float> slow(fast.size());
    conv2d_forward_reference(d.g, d.x.data(), d.kernel.data(), d.bias.empty() ? nullptr : d.bias.data(), c.activation,
                             slow.data());
    std::vector<double> as_double(slow.begin(), slow.end());
    expect_close(fast, json(as_double), c.name);
  }
}

// Kernel version 3 (docs/kernels.md): each output is exactly bias[o], then one fma per row of
// cols (c, then u, then v; a zero for a position outside the image) in order, then the
// activation; the same bits on every instruction path.
TEST(Conv2d, Version3IsTheDefinedFmaChainOnEveryPath) {
  uint32_t seed = 300;
  for (const auto& c : kConvCases) {
    const ConvData d = make_data(c, seed += 10);
    const ConvGeometry& g = d.g;
    std::vector<float> want(static_cast<size_t>(g.output_size()));
    for (int64_t o = 0; o < g.out_channels; ++o) {
      for (int64_t i = 0; i < g.out_h; ++i) {
        for (int64_t j = 0; j < g.out_w; ++j) {
          float acc = d.bias.empty() ? 0.0f : d.bias[static_cast<size_t>(o)];
          for (int64_t ch = 0; ch < g.channels; ++ch) {
            for (int64_t u = 0; u < g.kernel_h; ++u) {
              for (int64_t v = 0; v < g.kernel_w; ++v) {
                const int64_t iy = i * g.stride_h - g.pad_h + u, ix = j * g.stride_w - g.pad_w + v;
                const bool inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
                const float xv = inside ? d.x[static_cast<size_t>((ch * g.height + iy) * g.width + ix)] : 0.0f;
                acc = std::fma(d.kernel[static_cast<size_t>(((o * g.channels + ch) * g.kernel_h + u) * g.kernel_w + v)],
                               xv, acc);
              }
            }
          }
          want[static_cast<size_t>((o * g.out_h + i) * g.out_w + j)] = acc;
        }
      }
    }
    apply_activation(c.activation, Eigen::Map<Eigen::VectorXf>(want.data(), g.output_size()));
    const kernels::Path saved = kernels::active_path();
    for (const kernels::Path p : kernels::supported_paths()) {
      kernels::set_path(p);
      EXPECT_EQ(bits(run_conv(d, c.activation, 3)), bits(want)) << c.name << " on " << kernels::path_name(p);
    }
    kernels::set_path(saved);
  }
}

// The gathered forward (ConvNet's at version 3 for layers without padding) reads the patches
// from x instead of an im2col copy: bit for bit conv2d_forward at version 3 on every path,
// including Atari's full-size layers (patches of 768 and 512 entries: several blocks of k).
TEST(Conv2d, GatheredVersion3EqualsTheIm2colVersion3OnEveryPath) {
  std::vector<ConvCase> cases(std::begin(kConvCases), std::end(kConvCases));
  cases.push_back({"12x84x84 k8 s4 (Atari first, full size)", 12, 84, 84, 32, 8, 8, 4, 4, 0, 0, true, Activation::kRelu});
  cases.push_back({"32x20x20 k4 s2 (Atari second)", 32, 20, 20, 64, 4, 4, 2, 2, 0, 0, true, Activation::kRelu});
  cases.push_back({"64x9x9 k3 s1 no bias (Atari third)", 64, 9, 9, 64, 3, 3, 1, 1, 0, 0, false, Activation::kLinear});
  uint32_t seed = 500;
  int gathered = 0;
  for (const auto& c : cases) {
    const ConvData d = make_data(c, seed += 10);
    const auto prepared =
        GatheredConv::prepare(d.g, d.kernel.data(), d.bias.empty() ? nullptr : d.bias.data());
    if (c.ph != 0 || c.pw != 0) {
      EXPECT_FALSE(prepared.has_value()) << c.name << ": padding needs the im2col path";
      continue;
    }
    ASSERT_TRUE(prepared.has_value()) << c.name;
    ++gathered;
    const kernels::Path saved = kernels::active_path();
    for (const kernels::Path p : kernels::supported_paths()) {
      kernels::set_path(p);
      const auto want = run_conv(d, c.activation, 3);
      std::vector<float> got(static_cast<size_t>(d.g.output_size()), std::nanf(""));
      std::vector<float> scratch(static_cast<size_t>(prepared->scratch_size(d.g)), std::nanf(""));
      conv2d_forward_gathered(d.g, *prepared, d.x.data(), c.activation, got.data(), scratch.data());
      EXPECT_EQ(bits(got), bits(want)) << c.name << " on " << kernels::path_name(p);
    }
    kernels::set_path(saved);
  }
  EXPECT_EQ(gathered, 8);
}

TEST(Conv2d, MatchesPyTorchConv2d) {
  json cases = json::array();
  std::vector<std::vector<float>> ours, ours_v3;
  uint32_t seed = 1;
  for (const auto& c : kConvCases) {
    const ConvData d = make_data(c, seed += 10);
    ours.push_back(run_conv(d, c.activation));
    ours_v3.push_back(run_conv(d, c.activation, 3));
    cases.push_back({{"name", c.name},
                     {"input", floats(d.x)},
                     {"input_shape", {c.c, c.h, c.w}},
                     {"layers",
                      {{{"type", "conv"},
                        {"weight", floats(d.kernel)},
                        {"weight_shape", {c.o, c.c, c.kh, c.kw}},
                        {"bias", c.bias ? floats(d.bias) : json(nullptr)},
                        {"stride", {c.sh, c.sw}},
                        {"padding", {c.ph, c.pw}},
                        {"activation", std::string(activation_name(c.activation))}}}}});
  }
  const json torch = torch_outputs(cases);
  for (size_t i = 0; i < std::size(kConvCases); ++i) {
    ASSERT_TRUE(torch.contains(kConvCases[i].name)) << kConvCases[i].name;
    expect_close(ours[i], torch.at(kConvCases[i].name), kConvCases[i].name);
    expect_close(ours_v3[i], torch.at(kConvCases[i].name), std::string(kConvCases[i].name) + " at kernel version 3");
  }
}

// The reference-script description of an architecture's layers with the phenotype's tensors.
json torch_layers(const genome::Architecture& arch, const std::vector<float>& phenotype) {
  std::vector<size_t> offsets;
  size_t at = 0;
  for (const auto& t : arch.tensors) {
    offsets.push_back(at);
    at += static_cast<size_t>(t.size());
  }
  const auto values = [&](int ti) {
    const auto& t = arch.tensors[static_cast<size_t>(ti)];
    const auto begin = phenotype.begin() + static_cast<std::ptrdiff_t>(offsets[static_cast<size_t>(ti)]);
    return floats(std::vector<float>(begin, begin + t.size()));
  };
  json layers = json::array();
  for (const auto& l : arch.layers) {
    json j = {{"type", l.type}};
    if (l.type != "flatten") {
      j["weight"] = values(l.tensors[0]);
      j["weight_shape"] = arch.tensors[static_cast<size_t>(l.tensors[0])].shape;
      j["bias"] = l.tensors.size() > 1 ? values(l.tensors[1]) : json(nullptr);
      j["activation"] = std::string(activation_name(l.activation));
    }
    if (l.type == "conv") {
      j["stride"] = {l.stride_h, l.stride_w};
      j["padding"] = {l.padding_h, l.padding_w};
    }
    layers.push_back(j);
  }
  return layers;
}

// A Table 2-like network, small enough for a test: CarRacing's shape (k4 s2 convs, flatten,
// dense, 3 outputs) on a 12x32x32 input, one conv with padding, developed from a genome
// (direct and factorized with a direct output layer), run through the policy network the
// runner uses.
TEST(ConvNet, SmallTable2NetworkMatchesPyTorch) {
  const auto network = json::parse(R"([
      {"type": "conv", "out": 4, "kernel": 4, "stride": 2, "activation": "relu"},
      {"type": "conv", "out": 8, "kernel": 4, "stride": 2, "padding": 1, "activation": "relu"},
      {"type": "conv", "out": 8, "kernel": 3, "stride": 1, "activation": "tanh"},
      {"type": "flatten"},
      {"type": "dense", "out": 16, "activation": "relu"},
      {"type": "dense", "out": 3, "representation": {"type": "direct"}}])");
  const auto arch = genome::parse_architecture(network, std::vector<int64_t>{12, 32, 32});
  // 32 -> 15 -> 7 -> 5: the flatten gives 8*5*5 = 200.
  EXPECT_EQ(arch.layers[3].output_shape, (std::vector<int64_t>{200}));
  json cases = json::array();
  std::vector<std::vector<float>> ours;
  const std::vector<float> obs = random_values(12 * 32 * 32, 7);
  const std::pair<const char*, genome::Representation> reps[] = {
      {"direct", {}}, {"factorized rank 2", {genome::Representation::Type::kFactorized, 2, std::nullopt}}};
  for (const auto& [name, rep] : reps) {
    const genome::Genome g(arch, rep, {0.01, 0.01}, 1);
    auto genotype = g.init(11);
    g.mutate(genotype, 12);  // biases become non-zero
    const auto phenotype = g.develop(genotype);
    for (const int version : {1, 3}) {
      const auto net = genome::build_policy_network(arch, phenotype, version);
      EXPECT_EQ(net->input_size(), 12 * 32 * 32);
      EXPECT_EQ(net->output_size(), 3);
      std::vector<float> out(3);
      net->make_policy()->act(obs, out);
      ours.push_back(out);
    }
    cases.push_back({{"name", name}, {"input", floats(obs)}, {"input_shape", {12, 32, 32}},
                     {"layers", torch_layers(arch, phenotype)}});
  }
  const json torch = torch_outputs(cases);
  for (size_t i = 0; i < std::size(reps); ++i) {
    ASSERT_TRUE(torch.contains(reps[i].first));
    expect_close(ours[2 * i], torch.at(reps[i].first), reps[i].first);
    expect_close(ours[2 * i + 1], torch.at(reps[i].first), std::string(reps[i].first) + " at kernel version 3");
  }
}

// MLP policies (CartPole's 4-64-64-2 tanh net, and a wide one with every activation and a
// 3136-input layer like the Atari head) at kernel versions 1 and 3 against float64 PyTorch.
TEST(Mlp, DensePoliciesMatchPyTorchAtVersions1And3) {
  const std::pair<const char*, const char*> nets[] = {
      {"cartpole 4-64-64-2", R"([{"type": "dense", "in": 4, "out": 64, "activation": "tanh"},
                                 {"type": "dense", "out": 64, "activation": "tanh"}, {"type": "dense", "out": 2}])"},
      {"wide 3136-256-37-9-18", R"([{"type": "dense", "in": 3136, "out": 256, "activation": "relu"},
                                    {"type": "dense", "out": 37, "activation": "sigmoid"},
                                    {"type": "dense", "out": 9, "activation": "tanh", "bias": false},
                                    {"type": "dense", "out": 18}])"}};
  json cases = json::array();
  std::vector<std::vector<float>> ours;
  uint32_t seed = 40;
  for (const auto& [name, network] : nets) {
    const auto arch = genome::parse_architecture(json::parse(network), std::nullopt);
    const genome::Genome g(arch, {}, {0.01, 0.01}, 1);
    auto genotype = g.init(seed++);
    g.mutate(genotype, seed++);
    const auto phenotype = g.develop(genotype);
    const auto obs = random_values(static_cast<size_t>(arch.layers.front().input_shape.at(0)), seed++);
    for (const int version : {1, 3}) {
      const auto net = genome::build_policy_network(arch, phenotype, version);
      std::vector<float> out(static_cast<size_t>(net->output_size()));
      net->make_policy()->act(obs, out);
      ours.push_back(out);
    }
    cases.push_back({{"name", name}, {"input", floats(obs)}, {"input_shape", {obs.size()}},
                     {"layers", torch_layers(arch, phenotype)}});
  }
  const json torch = torch_outputs(cases);
  for (size_t i = 0; i < std::size(nets); ++i) {
    ASSERT_TRUE(torch.contains(nets[i].first));
    expect_close(ours[2 * i], torch.at(nets[i].first), nets[i].first);
    expect_close(ours[2 * i + 1], torch.at(nets[i].first), std::string(nets[i].first) + " at kernel version 3");
  }
}

TEST(ConvNet, ForwardIsThreadIndependentAndChecksSizes) {
  const auto arch = genome::parse_architecture(
      json::parse(R"([{"type": "conv", "out": 2, "kernel": 3}, {"type": "flatten"}, {"type": "dense", "out": 2}])"),
      std::vector<int64_t>{1, 5, 5});
  const genome::Genome g(arch, {}, {0.01, 0.01}, 1);
  const auto net = genome::build_conv_net(arch, g.develop(g.init(3)), 1);
  EXPECT_EQ(net.input_size(), 25);
  EXPECT_EQ(net.output_size(), 2);
  EXPECT_EQ(net.parameter_count(), arch.parameter_count());
  const auto obs = random_values(25, 4);
  std::vector<float> a(2), b(2);
  auto s1 = net.make_scratch();
  ConvNetScratch s2;  // default-constructed scratch grows on first use
  net.forward(obs, a, s1);
  net.forward(obs, b, s2);
  EXPECT_EQ(a, b);
  EXPECT_THAT([&] { net.forward(std::vector<float>(24), a, s1); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("input has 24 values, expected 25")));
  std::vector<float> three(3);
  EXPECT_THAT([&] { net.forward(obs, three, s1); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("output has 3 values, expected 2")));
}

// At version 3 ConvNet runs its layers without padding gathered (no im2col) and the padded
// one through im2col: the whole forward is bit for bit the layers' conv2d_forward chained.
TEST(ConvNet, Version3ForwardIsTheChainOfItsLayersBitForBit) {
  const auto arch = genome::parse_architecture(json::parse(R"([
      {"type": "conv", "out": 8, "kernel": 8, "stride": 4, "activation": "relu"},
      {"type": "conv", "out": 16, "kernel": 4, "stride": 2, "padding": 1, "activation": "tanh"},
      {"type": "conv", "out": 16, "kernel": 3, "stride": 1, "activation": "relu"},
      {"type": "flatten"}])"),
                                               std::vector<int64_t>{4, 44, 44});
  const genome::Genome g(arch, {}, {0.01, 0.01}, 1);
  auto genotype = g.init(21);
  g.mutate(genotype, 22);
  const auto net = genome::build_conv_net(arch, g.develop(genotype), 3);
  const auto obs = random_values(static_cast<size_t>(net.input_size()), 23);
  std::vector<float> x = obs;
  for (const ConvLayer& c : net.convs()) {
    std::vector<float> y(static_cast<size_t>(c.geometry.output_size()));
    std::vector<float> cols(static_cast<size_t>(c.geometry.cols_size(3)));
    conv2d_forward(c.geometry, x.data(), c.kernel.data(), c.bias.empty() ? nullptr : c.bias.data(), c.activation,
                   y.data(), cols.data(), 3);
    x = std::move(y);
  }
  const kernels::Path saved = kernels::active_path();
  for (const kernels::Path p : kernels::supported_paths()) {
    kernels::set_path(p);
    std::vector<float> out(static_cast<size_t>(net.output_size()));
    auto scratch = net.make_scratch();
    net.forward(obs, out, scratch);
    EXPECT_EQ(bits(out), bits(x)) << kernels::path_name(p);
  }
  kernels::set_path(saved);
}

TEST(ConvNet, ArchitecturesThatCannotRunAreRefusedNamingTheLayer) {
  const auto error_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      return e.what();
    }
    ADD_FAILURE() << "no Error thrown";
    return "";
  };
  // A conv on a flat input has no spatial size.
  const auto flat = genome::parse_architecture(
      json::parse(R"([{"type": "conv", "out": 2, "kernel": 1}, {"type": "dense", "out": 1}])"), 4);
  EXPECT_THAT(error_of([&] { genome::build_conv_net(flat, std::vector<float>(flat.parameter_count()), 3); }),
              ::testing::HasSubstr("network[0]: a conv layer runs only on an image input"));
  const auto norm = genome::parse_architecture(
      json::parse(R"([{"type": "flatten"}, {"type": "layer_norm"}, {"type": "dense", "out": 1}])"),
      std::vector<int64_t>{1, 2, 2});
  EXPECT_THAT(error_of([&] { genome::build_conv_net(norm, std::vector<float>(norm.parameter_count()), 3); }),
              ::testing::HasSubstr("network[1]: a layer_norm layer cannot run"));
  EXPECT_THAT(error_of([&] { genome::build_conv_net(norm, std::vector<float>(1), 3); }),
              ::testing::HasSubstr("the phenotype has 1 values"));
}

}  // namespace
}  // namespace seedline::nn
