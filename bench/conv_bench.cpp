// Forward pass of the paper's Table 2 pixel networks (docs/networks.md), one thread: the
// whole nn::ConvNet forward, and its conv layers by the im2col + GEMM path against the same
// convolutions computed loop by loop (nn::conv2d_forward_reference, the definition), both
// measured in the same run.
// Usage: conv_bench [REPS]   (default 20; the best of REPS timings is reported) [PYTHON (/usr/bin/python3)]
// Prints one line per network: parameters, ms per forward, ms of the conv layers per path
// and the speed-up of im2col + GEMM over the loops; then seedline's frames/s (batch 1, one
// thread) beside PyTorch's on the same network (bench/conv_torch.py), the fair anchor first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <sys/wait.h>

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

// PyTorch's frames/s for `network` (bench/conv_torch.py, mode "fair" or "plain"), or
// {"unavailable": why} when Python, PyTorch or the fair anchor's jemalloc is missing.
nlohmann::json torch_anchor(const std::string& python, const char* network, const std::vector<int64_t>& input,
                            int reps, const char* mode) {
  std::string cmd = python + " " + SEEDLINE_SOURCE_DIR + "/bench/conv_torch.py --mode " + mode + " --reps " +
                    std::to_string(reps) + " --network '" + nlohmann::json::parse(network).dump() + "' --input";
  for (const int64_t d : input) {
    cmd += ' ';
    cmd += std::to_string(d);
  }
  cmd += " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {{"unavailable", "PyTorch not available (could not start " + python + ")"}};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : status;
  try {
    auto j = nlohmann::json::parse(out);
    if (j.is_object() && (j.contains("unavailable") || j.contains("frames_per_second"))) return j;
  } catch (...) {
  }
  return {{"unavailable", "PyTorch not available (conv_torch.py exited with status " + std::to_string(code) +
                              " and no figures)"}};
}

// seedline's whole forward (batch 1, one thread, best of `reps`) beside PyTorch's, fair first.
void torch_comparison(const std::string& python, const char* name, const char* network, std::vector<int64_t> input,
                      int reps) {
  const auto arch = genome::parse_architecture(nlohmann::json::parse(network), input);
  const genome::Genome g(arch, {}, {0.01, 0.01}, 1);
  const auto net = genome::build_conv_net(arch, g.develop(g.init(1)));
  std::vector<float> obs(static_cast<size_t>(net.input_size()), 0.5f), out(static_cast<size_t>(net.output_size()));
  auto scratch = net.make_scratch();
  float guard = 0;
  const double ours = 1.0 / best_seconds(reps, [&] {
    net.forward(obs, out, scratch);
    guard += out[0];
  });
  std::printf("%-16s seedline %8.0f frames/s", name, ours);
  std::string missing;  // the reason of the last unavailable anchor, printed once
  for (const char* mode : {"fair", "plain"}) {
    const auto t = torch_anchor(python, network, input, reps, mode);
    if (t.contains("unavailable")) {
      const auto why = t.value("unavailable", std::string());
      if (why != missing) std::printf(" | %s PyTorch: %s", mode, why.c_str());
      missing = why;
      continue;
    }
    const double theirs = t.value("frames_per_second", 0.0);
    std::printf(" | %s PyTorch %8.0f frames/s (%s; %.0f faults/forward) = %5.2fx", mode, theirs,
                t.value("variant", std::string()).c_str(), t.value("minor_faults_per_forward", 0.0),
                theirs > 0 ? ours / theirs : 0.0);
  }
  std::printf("  (%g)\n", static_cast<double>(guard));
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  std::printf("one forward pass, one thread, best of %d (loops: best of %d)\n", reps, std::max(2, reps / 5));
  run("CarRacing", kCarRacing, {12, 64, 64}, reps);
  run("CarRacing small", kCarRacingSmall, {12, 64, 64}, reps);
  run("Atari", kAtari, {12, 84, 84}, reps);
  // PyTorch anchor (bench/conv_torch.py): fair = jemalloc keeping freed memory, 50 warm-up
  // forwards, the fastest of eager MKLDNN on/off and a frozen TorchScript graph; plain = glibc,
  // eager defaults. Batch 1, one thread, best of REPS, as above.
  const std::string python = argc > 2 ? argv[2] : "/usr/bin/python3";
  std::printf("\nbatch-1 frames/s, one thread, best of %d: seedline vs PyTorch (fair anchor first, then plain)\n",
              reps);
  torch_comparison(python, "CarRacing", kCarRacing, {12, 64, 64}, reps);
  torch_comparison(python, "CarRacing small", kCarRacingSmall, {12, 64, 64}, reps);
  torch_comparison(python, "Atari", kAtari, {12, 84, 84}, reps);
  return 0;
}
