// Forward pass of the paper's Table 2 pixel networks (docs/networks.md), one thread, measured
// side by side in one run: the whole nn::ConvNet forward at kernel version 1 (Eigen; also its
// conv layers by im2col + GEMM against the same convolutions computed loop by loop,
// nn::conv2d_forward_reference, the definition) and at kernel version 3 (src/kernels/, on
// every instruction path this CPU runs), as ms, frames/s, GFLOP/s (FLOPs counted from the
// shapes) and % of the core's FP32 peak measured first (kernels::Table::fma_peak, as
// bench/lm_bench does), and version 3's speed-up over version 1; then two dense policies
// (CartPole's 4-64-64-2 tanh MLP, the Atari dense head 3136-256-18) as ns per forward; then
// seedline's frames/s (batch 1, one thread, the newest kernel version) beside PyTorch's on the
// same network (bench/conv_torch.py), the fair anchor first.
// Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), the best of REPS.
// Usage: conv_bench [REPS (default 20; the best of REPS timings is reported)] [PYTHON (/usr/bin/python3)]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "genome/genome.hpp"
#include "genome/policy_network.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/kernels.hpp"
#include "kernels/version.hpp"
#include "nn/conv_net.hpp"

namespace {

using namespace seedline;
// This thread's CPU seconds: on a shared machine a thread descheduled mid-forward would add
// other processes' time to a wall-clock figure; the CPU time counts only its own.
double thread_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

template <typename Body>
double best_seconds(int reps, Body&& body) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const double t0 = thread_seconds();
    body();
    best = std::min(best, thread_seconds() - t0);
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

// FLOPs of one forward (2 per multiply-add): the convs' GEMMs and the dense head's GEMVs.
double forward_flops(const genome::Architecture& arch, const nn::ConvNet& net) {
  double flops = 0;
  for (const auto& c : net.convs()) {
    flops += 2.0 * static_cast<double>(c.geometry.out_channels * c.geometry.out_h * c.geometry.out_w) *
             static_cast<double>(c.geometry.patch_size());
  }
  for (const auto& t : arch.tensors) {
    if (t.kind == genome::TensorKind::kDenseWeight) flops += 2.0 * static_cast<double>(t.shape[0] * t.shape[1]);
  }
  return flops;
}

// GFLOP/s of independent FMA chains on one core through `path`: best of 20.
double peak_gflops(kernels::Path path) {
  float sink = 0;
  double best = 0;
  for (int r = 0; r < 20; ++r) {
    const double t0 = thread_seconds();
    const int64_t flops = kernels::table_for(path).fma_peak(int64_t{1} << 22, &sink);
    best = std::max(best, static_cast<double>(flops) / (thread_seconds() - t0) / 1e9);
  }
  if (sink == 12345.f) std::puts("");
  return best;
}

void run(const char* name, const char* network, std::vector<int64_t> input, int reps,
         const std::vector<std::pair<kernels::Path, double>>& peaks) {
  const auto arch = genome::parse_architecture(nlohmann::json::parse(network), input);
  const genome::Genome g(arch, {}, {0.01, 0.01}, 1);
  const auto phenotype = g.develop(g.init(1));
  const auto net = genome::build_conv_net(arch, phenotype, 1);
  const auto net3 = genome::build_conv_net(arch, phenotype, 3);
  const double flops = forward_flops(arch, net);
  std::vector<float> obs(static_cast<size_t>(net.input_size()));
  for (size_t i = 0; i < obs.size(); ++i) obs[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f;
  std::vector<float> out(static_cast<size_t>(net.output_size()));
  float guard = 0;
  const auto time_forward = [&](const nn::ConvNet& n) {
    auto scratch = n.make_scratch();
    return best_seconds(reps, [&] {
      n.forward(obs, out, scratch);
      guard += out[0];
    });
  };
  const double whole = time_forward(net);
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
  std::printf("%-16s %8lld params, %.1f MFLOP per forward\n", name, static_cast<long long>(arch.parameter_count()),
              flops / 1e6);
  const double peak1 = peaks.back().second;
  std::printf("  version 1 (Eigen)        %8.3f ms  %8.0f frames/s  %6.1f GFLOP/s (%4.1f%% of the %s peak) | conv "
              "layers: im2col+GEMM %7.3f ms, loops %8.3f ms = %5.1fx\n",
              whole * 1e3, 1.0 / whole, flops / whole / 1e9, 100.0 * flops / whole / 1e9 / peak1,
              kernels::path_name(peaks.back().first), gemm * 1e3, loops * 1e3, loops / gemm);
  const kernels::Path active = kernels::active_path();
  for (const auto& [path, peak] : peaks) {
    kernels::set_path(path);
    const double t = time_forward(net3);
    std::printf("  version 3 (%-8s)     %8.3f ms  %8.0f frames/s  %6.1f GFLOP/s (%4.1f%% of the %s peak) = %5.2fx "
                "version 1\n",
                kernels::path_name(path), t * 1e3, 1.0 / t, flops / t / 1e9, 100.0 * flops / t / 1e9 / peak,
                kernels::path_name(path), whole / t);
  }
  kernels::set_path(active);
  if (guard == 12345.f) std::puts("");
}

// A dense policy (nn::Mlp, one observation) at versions 1 and 3, as ns per forward.
void run_mlp(const char* name, const char* network, int input, int reps,
             const std::vector<std::pair<kernels::Path, double>>& peaks) {
  const auto arch = genome::parse_architecture(nlohmann::json::parse(network), input);
  const genome::Genome g(arch, {}, {0.01, 0.01}, 1);
  const auto phenotype = g.develop(g.init(1));
  std::vector<float> obs(static_cast<size_t>(input));
  for (size_t i = 0; i < obs.size(); ++i) obs[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  float guard = 0;
  constexpr int kCalls = 1000;  // forwards per timing, so the clock's resolution does not matter
  const auto time_forward = [&](const nn::Mlp& mlp) {
    std::vector<float> out(static_cast<size_t>(mlp.output_size()));
    auto scratch = mlp.make_scratch();
    return best_seconds(reps, [&] {
             for (int c = 0; c < kCalls; ++c) {
               mlp.forward(obs, out, scratch);
               guard += out[0];
             }
           }) /
           kCalls;
  };
  const double v1 = time_forward(genome::build_mlp(arch, phenotype, 1));
  std::printf("%-16s %8lld params  version 1 (Eigen) %9.0f ns", name, static_cast<long long>(arch.parameter_count()),
              v1 * 1e9);
  const auto net3 = genome::build_mlp(arch, phenotype, 3);
  const kernels::Path active = kernels::active_path();
  for (const auto& [path, peak] : peaks) {
    kernels::set_path(path);
    const double t = time_forward(net3);
    std::printf(" | version 3 (%s) %9.0f ns = %5.2fx", kernels::path_name(path), t * 1e9, v1 / t);
  }
  kernels::set_path(active);
  std::printf("\n");
  if (guard == 12345.f) std::puts("");
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
  const auto net = genome::build_conv_net(arch, g.develop(g.init(1)), kernels::kNewestVersion);
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
  std::vector<std::pair<kernels::Path, double>> peaks;
  std::printf("FP32 peak of one core (independent FMA chains, 12 on avx2, 16 on avx512):");
  for (const kernels::Path p : kernels::supported_paths()) {
    peaks.emplace_back(p, peak_gflops(p));
    std::printf(" %s %.1f GFLOP/s", kernels::path_name(p), peaks.back().second);
  }
  std::printf("\none forward pass, one thread, best of %d (loops: best of %d); target (issue 19): Atari at version 3 "
              ">= 3x version 1\n",
              reps, std::max(2, reps / 5));
  run("CarRacing", kCarRacing, {12, 64, 64}, reps, peaks);
  run("CarRacing small", kCarRacingSmall, {12, 64, 64}, reps, peaks);
  run("Atari", kAtari, {12, 84, 84}, reps, peaks);
  std::printf("dense policies (nn::Mlp), one observation, ns per forward:\n");
  run_mlp("CartPole 4-64-64-2", R"([{"type": "dense", "out": 64, "activation": "tanh"},
      {"type": "dense", "out": 64, "activation": "tanh"}, {"type": "dense", "out": 2}])", 4, std::max(2, reps / 10),
          peaks);
  run_mlp("Atari head", R"([{"type": "dense", "out": 256, "activation": "relu"}, {"type": "dense", "out": 18}])", 3136,
          std::max(2, reps / 10), peaks);
  // PyTorch anchor (bench/conv_torch.py): fair = jemalloc keeping freed memory, 50 warm-up
  // forwards, the fastest of eager MKLDNN on/off and a frozen TorchScript graph; plain = glibc,
  // eager defaults. Batch 1, one thread, best of REPS, as above.
  const std::string python = argc > 2 ? argv[2] : "/usr/bin/python3";
  std::printf("\nbatch-1 frames/s, one thread, best of %d: seedline vs PyTorch (fair anchor first, then plain); "
              "target (issue 19): Atari >= 1.5x the fair PyTorch\n",
              reps);
  torch_comparison(python, "CarRacing", kCarRacing, {12, 64, 64}, reps);
  torch_comparison(python, "CarRacing small", kCarRacingSmall, {12, 64, 64}, reps);
  torch_comparison(python, "Atari", kAtari, {12, 84, 84}, reps);
  return 0;
}
