// Forward pass of the paper's Table 2 pixel networks (docs/networks.md), one thread: the
// whole nn::ConvNet forward, and its conv layers by the im2col + GEMM path against the same
// convolutions computed loop by loop (nn::conv2d_forward_reference, the definition), both
// measured in the same run.
// Usage: conv_bench [REPS]   (default 20; the best of REPS timings is reported)
// Prints one line per network: parameters, ms per forward, ms of the conv layers per path
// and the speed-up of im2col + GEMM over the loops.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

#include "genome/genome.hpp"
#include "genome/policy_network.hpp"
#include "nn/conv_net.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

template <typename Body>
double best_seconds(int reps, Body&& body) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

// The conv layers alone, by `conv` (conv2d_forward or the loop reference), ping-ponging
// between a and b; returns one output value so the work cannot be optimised away.
template <typename Conv>
float conv_layers(const nn::ConvNet& net, const std::vector<float>& obs, std::vector<float>& a, std::vector<float>& b,
                  Conv&& conv) {
  const float* x = obs.data();
  for (size_t i = 0; i < net.convs().size(); ++i) {
    const auto& c = net.convs()[i];
    auto& y = i % 2 == 0 ? a : b;
    y.resize(static_cast<size_t>(c.geometry.output_size()));
    conv(c, x, y.data());
    x = y.data();
  }
  return x[0];
}

void run(const char* name, const char* network, std::vector<int64_t> input, int reps) {
  const auto arch = genome::parse_architecture(nlohmann::json::parse(network), input);
  const genome::Genome g(arch, {}, {0.01, 0.01}, 1);
  const auto net = genome::build_conv_net(arch, g.develop(g.init(1)));
  std::vector<float> obs(static_cast<size_t>(net.input_size()));
  for (size_t i = 0; i < obs.size(); ++i) obs[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f;
  std::vector<float> out(static_cast<size_t>(net.output_size()));
  auto scratch = net.make_scratch();
  float guard = 0;
  const double whole = best_seconds(reps, [&] {
    net.forward(obs, out, scratch);
    guard += out[0];
  });
  std::vector<float> a, b, cols;
  const double gemm = best_seconds(reps, [&] {
    guard += conv_layers(net, obs, a, b, [&](const nn::ConvLayer& c, const float* x, float* y) {
      cols.resize(static_cast<size_t>(c.geometry.cols_size()));
      nn::conv2d_forward(c.geometry, x, c.kernel.data(), c.bias.data(), c.activation, y, cols.data());
    });
  });
  const double loops = best_seconds(std::max(2, reps / 5), [&] {
    guard += conv_layers(net, obs, a, b, [&](const nn::ConvLayer& c, const float* x, float* y) {
      nn::conv2d_forward_reference(c.geometry, x, c.kernel.data(), c.bias.data(), c.activation, y);
    });
  });
  std::printf("%-16s %8lld params  forward %7.3f ms | conv layers: im2col+GEMM %7.3f ms, loops %8.3f ms = %5.1fx  (%g)\n",
              name, static_cast<long long>(arch.parameter_count()), whole * 1e3, gemm * 1e3, loops * 1e3,
              loops / gemm, static_cast<double>(guard));
}

const char* kCarRacing = R"([
  {"type": "conv", "out": 32, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "conv", "out": 64, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "conv", "out": 128, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "conv", "out": 256, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "flatten"}, {"type": "dense", "out": 256, "activation": "relu"}, {"type": "dense", "out": 3}])";
const char* kAtari = R"([
  {"type": "conv", "out": 32, "kernel": 8, "stride": 4, "activation": "relu"},
  {"type": "conv", "out": 64, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "conv", "out": 64, "kernel": 3, "stride": 1, "activation": "relu"},
  {"type": "flatten"}, {"type": "dense", "out": 256, "activation": "relu"}, {"type": "dense", "out": 18}])";
const char* kCarRacingSmall = R"([
  {"type": "conv", "out": 4, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "conv", "out": 4, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "conv", "out": 8, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "conv", "out": 16, "kernel": 4, "stride": 2, "activation": "relu"},
  {"type": "flatten"}, {"type": "dense", "out": 32, "activation": "relu"}, {"type": "dense", "out": 3}])";

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  std::printf("one forward pass, one thread, best of %d (loops: best of %d)\n", reps, std::max(2, reps / 5));
  run("CarRacing", kCarRacing, {12, 64, 64}, reps);
  run("CarRacing small", kCarRacingSmall, {12, 64, 64}, reps);
  run("Atari", kAtari, {12, 84, 84}, reps);
  return 0;
}
