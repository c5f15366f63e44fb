// Language-model figures (docs/language-models.md, docs/kernels.md), printed side by side:
//   0. the core's FP32 peak per kernel path (independent FMA chains that fit the registers, kernels::Table::fma_peak)
//      and the rate Eigen's 1024^3 sgemm reaches (the library is compiled for baseline x86-64).
//   1. forward + loss tokens/s of the Table 1 direct and factorized transformers at kernel
//      version 1 (Eigen) and version 2 (src/kernels/, on the path in use, and on every other
//      path this CPU runs, 1 thread) on 1 and 2 threads, on a batch of B sequences of T fed
//      tokens (default 64 x 241, random ids), and the same figure for PyTorch (bench/lm_torch.py:
//      same model, same batch, same thread count, torch.inference_mode, warm-up) run twice, with
//      the ratio against each: first the fair anchor (jemalloc keeping freed memory, so no page
//      faults per pass; F.linear, baddbmm attention, a preallocated logits output), then the plain
//      one (glibc malloc, which page-faults every pass's fresh tensors: the anchor before issue 19).
//      Each PyTorch run's minor page faults and its loss against tests/nn/reference/transformer_ref.py
//      are printed under the table. seedline runs one network per thread (how the runner evaluates a
//      population), so its 2-thread figure is two networks at once; PyTorch's is one batch on 2
//      intra-op threads.
//   2. the same as GFLOP/s (FLOPs counted from the shapes) and as a fraction of the measured
//      FP32 peak of the path in use (times the threads).
//   3. the wall time of one Table 1 generation (512 individuals x 1024 sequences) on 2 threads
//      at kernel version 1 and the newest, for each of the three conditions (direct, factorized
//      and the d_model 4 "small" net of examples/tinystories.json), from two evaluations
//      measured at once on 2 threads (one network each, as the runner evaluates) on sequences
//      with TinyStories-like lengths (uniform 100..340 fed tokens, mean 220: an assumption,
//      TinyStories is not shipped), and extrapolated to 300 generations x 3 conditions x 7 trials.
// Usage: lm_bench [B (64)] [T (241)] [PYTHON (/usr/bin/python3)]
#include <sys/wait.h>

#include <Eigen/Core>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <algorithm>
#include <thread>
#include <vector>

#include "genome/genome.hpp"
#include "genome/transformer_spec.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/kernels.hpp"
#include "kernels/version.hpp"
#include "nn/transformer.hpp"
#include "noise/noise.hpp"

namespace {

using namespace seedline;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

const json kLayer = {{"type", "transformer"}, {"vocab", 2051}, {"d_model", 32}, {"blocks", 3},
                     {"heads", 4},            {"head_dim", 4},  {"ff", 128}};
const json kSmall = {{"type", "transformer"}, {"vocab", 2051}, {"d_model", 4}, {"blocks", 3},
                     {"heads", 4},            {"head_dim", 4},  {"ff", 16}};
const json kFactorized = {{"type", "factorized"}, {"rank", 4}, {"embedding_rank", 32}, {"attention_rank", 4},
                          {"ff_rank", 4}};

struct Data {
  std::vector<int32_t> tokens;
  std::vector<int64_t> offsets{0};
  int64_t predicted = 0;
};

// Sequences of the given fed lengths: <s>, random BPE ids, </s>.
Data make_data(const std::vector<int64_t>& lengths, uint32_t seed) {
  std::mt19937 rng(seed);
  Data d;
  for (const int64_t len : lengths) {
    d.tokens.push_back(nn::kStartToken);
    for (int64_t t = 1; t + 1 < len; ++t) d.tokens.push_back(nn::kFirstBpeToken + static_cast<int32_t>(rng() % 2048));
    d.tokens.push_back(nn::kEndToken);
    d.offsets.push_back(static_cast<int64_t>(d.tokens.size()));
    d.predicted += len - 1;
  }
  return d;
}

// FLOPs of one forward + loss over `d` (multiply-adds count 2), from the shapes.
double flops(const genome::Genome& g, const Data& d) {
  const auto& c = g.architecture().layers[0].transformer;
  const double C = static_cast<double>(c.d_model), H = static_cast<double>(c.heads * c.head_dim),
               F = static_cast<double>(c.ff), V = static_cast<double>(c.vocab);
  const auto& rep = g.representation();
  const bool fact = rep.type == genome::Representation::Type::kFactorized;
  const auto mm = [&](double out, double in, genome::RankKind kind) {
    if (!fact) return out * in;
    const double k = rep.rank_for(kind);
    return k * (out + in);
  };
  const double per_token_block = 3 * mm(H, C, genome::RankKind::kAttention) + mm(C, H, genome::RankKind::kAttention) +
                                 mm(F, C, genome::RankKind::kFeedForward) + mm(C, F, genome::RankKind::kFeedForward);
  double attention = 0;  // q.k and p.v over the causal prefix
  for (size_t s = 0; s + 1 < d.offsets.size(); ++s) {
    const double T = static_cast<double>(d.offsets[s + 1] - d.offsets[s]);
    attention += T * (T + 1) / 2 * H * 2;
  }
  const double tokens = static_cast<double>(d.tokens.size());
  return 2 * (tokens * (static_cast<double>(c.blocks) * per_token_block + C * V) +
              static_cast<double>(c.blocks) * attention);
}

// Tokens per second of forward + loss over `d` on `threads` threads (one network each),
// best of `reps` timed passes after a warm-up.
double tokens_per_second(const std::vector<nn::TransformerWeights>& nets, const Data& d, int threads, int reps) {
  double best = 0;
  for (int r = 0; r < reps + 1; ++r) {
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
      pool.emplace_back([&, i] {
        thread_local nn::TransformerWorkspace ws;
        const auto loss = nn::transformer_loss(nets[static_cast<size_t>(i)], {d.tokens, d.offsets}, ws);
        if (!(loss.nats > 0)) std::abort();
      });
    }
    for (auto& t : pool) t.join();
    const double s = seconds_since(t0);
    if (r > 0) best = std::max(best, static_cast<double>(threads) * static_cast<double>(d.tokens.size()) / s);
  }
  return best;
}

double eigen_gemm_gflops() {
  const int n = 1024;
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  double best = 0;
  for (int r = 0; r < 4; ++r) {
    const auto t0 = Clock::now();
    c.noalias() = a * b;
    const double s = seconds_since(t0);
    if (r > 0) best = std::max(best, 2.0 * n * n * n / s / 1e9);
  }
  if (c(0, 0) == 12345.f) std::puts("");
  return best;
}

// GFLOP/s of independent FMA chains on one core through `path`: best of 5.
double peak_gflops(kernels::Path path) {
  float sink = 0;
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = Clock::now();
    const int64_t flops = kernels::table_for(path).fma_peak(int64_t{1} << 24, &sink);
    best = std::max(best, static_cast<double>(flops) / seconds_since(t0) / 1e9);
  }
  if (sink == 12345.f) std::puts("");
  return best;
}

// bench/lm_torch.py's JSON for `mode` ("fair" or "plain"); {"unavailable": why} when PyTorch
// (or Python, or the fair anchor's jemalloc) is missing or the script fails.
json torch_figures(const std::string& python, int batch, int length, int threads, bool factorized,
                   const std::string& mode) {
  const std::string script = std::string(SEEDLINE_SOURCE_DIR) + "/bench/lm_torch.py";
  const std::string cmd = python + " " + script + " --batch " + std::to_string(batch) + " --length " +
                          std::to_string(length) + " --threads " + std::to_string(threads) +
                          (factorized ? " --factorized" : "") + " --mode " + mode + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return json{{"unavailable", "PyTorch not available (could not start " + python + ")"}};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : status;
  try {
    json j = json::parse(out);
    if (j.is_object() && (j.contains("unavailable") || j.contains("tokens_per_second"))) return j;
  } catch (...) {
  }
  return json{{"unavailable", "PyTorch not available (" + cmd + " exited with status " + std::to_string(code) +
                                  " and no figures)"}};
}

double torch_rate(const json& t) { return t.contains("tokens_per_second") ? t.value("tokens_per_second", 0.0) : 0.0; }

// "  12345  6.1x" or "    n/a    -" when PyTorch's figure is missing.
std::string rate_and_ratio(double ours, double theirs) {
  char buf[64];
  if (theirs > 0) {
    std::snprintf(buf, sizeof buf, "%14.0f %6.2fx", theirs, ours / theirs);
  } else {
    std::snprintf(buf, sizeof buf, "%14s %7s", "n/a", "-");
  }
  return buf;
}

}  // namespace

// Wall seconds of one evaluation of `data` by each of `nets` at once, one thread per network
// (the runner's shape on 2 threads: each worker keeps its workspace); best of 3 rounds after
// one warm-up round, so a single descheduling does not decide the Table 1 estimate.
double concurrent_evaluation_seconds(const std::vector<nn::TransformerWeights>& nets, const Data& data) {
  std::vector<nn::TransformerWorkspace> workspaces(nets.size());
  double best = 1e300;
  for (int round = 0; round < 4; ++round) {
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (size_t i = 0; i < nets.size(); ++i) {
      pool.emplace_back([&, i] {
        if (!(nn::transformer_loss(nets[i], {data.tokens, data.offsets}, workspaces[i]).nats > 0)) std::abort();
      });
    }
    for (auto& t : pool) t.join();
    if (round > 0) best = std::min(best, seconds_since(t0));
  }
  return best;
}

int main(int argc, char** argv) {
  const int batch = argc > 1 ? std::atoi(argv[1]) : 64;
  const int length = argc > 2 ? std::atoi(argv[2]) : 241;
  const std::string python = argc > 3 ? argv[3] : "/usr/bin/python3";
  const auto arch = genome::parse_architecture(json::array({kLayer}), std::nullopt);
  const kernels::Path active = kernels::active_path();
  std::printf("FP32 peak of one core (independent FMA chains, 12 on avx2, 16 on avx512):");
  double peak = 0;
  for (const kernels::Path p : kernels::supported_paths()) {
    const double g = peak_gflops(p);
    if (p == active) peak = g;
    std::printf(" %s %.1f GFLOP/s;", kernels::path_name(p), g);
  }
  std::printf(" kernel path in use: %s\n", kernels::path_name(active));
  const double gemm = eigen_gemm_gflops();
  std::printf("Eigen sgemm 1024^3 on one core (version 1's GEMM): %.1f GFLOP/s (%.0f%% of the %s peak)\n", gemm,
              100.0 * gemm / peak, kernels::path_name(active));
  std::printf("batch %d x %d fed tokens, random ids; hardware threads: %u\n\n", batch, length,
              std::thread::hardware_concurrency());
  const Data batch_data = make_data(std::vector<int64_t>(static_cast<size_t>(batch), length), 1);
  std::vector<int64_t> lengths;
  std::mt19937 rng(2);
  for (int i = 0; i < 1024; ++i) lengths.push_back(100 + static_cast<int64_t>(rng() % 241));
  const Data table1 = make_data(lengths, 3);

  std::printf("%-11s %-13s %7s %14s %14s %7s %14s %7s %9s %8s\n", "condition", "kernels", "threads",
              "seedline tok/s", "fair torch", "ratio", "plain torch", "ratio", "GFLOP/s", "of peak");
  std::vector<std::string> torch_notes;
  constexpr int kNew = kernels::kNewestVersion;
  for (const bool factorized : {false, true}) {
    genome::Genome g(arch, genome::parse_representation(factorized ? kFactorized : json{{"type", "direct"}}),
                     {0.01, 0.01}, noise::kNewestVersion);
    g.set_kernel_version(kNew);
    std::vector<std::vector<float>> genotypes;
    std::vector<nn::TransformerWeights> nets;
    for (int i = 0; i < 2; ++i) genotypes.push_back(g.init(static_cast<uint64_t>(10 + i)));
    for (auto& gt : genotypes) nets.push_back(genome::transformer_weights(g, gt));
    const double f = flops(g, batch_data) / static_cast<double>(batch_data.tokens.size());
    double fair[3] = {0, 0, 0}, plain[3] = {0, 0, 0};
    for (const int threads : {1, 2}) {
      for (const char* mode : {"fair", "plain"}) {
        const json t = torch_figures(python, batch, length, threads, factorized, mode);
        (std::string(mode) == "fair" ? fair : plain)[threads] = torch_rate(t);
        char note[512];
        if (t.contains("unavailable")) {
          std::snprintf(note, sizeof note, "%s %s, %d thread(s): %s", factorized ? "factorized" : "direct", mode,
                        threads, t.value("unavailable", std::string()).c_str());
        } else {
          std::snprintf(note, sizeof note,
                        "%s %s, %d thread(s): %s; minor page faults %.0f per timed pass, %.0f in the whole process; "
                        "loss vs transformer_ref.py (float64) %.1e relative",
                        factorized ? "factorized" : "direct", mode, threads,
                        t.value("allocator", std::string()).c_str(), t.value("minor_faults_per_pass", 0.0),
                        t.value("minor_faults_total", 0.0), t.value("reference_max_rel", 0.0));
        }
        torch_notes.emplace_back(note);
      }
    }
    const auto row = [&](const std::string& label, int threads, double ours) {
      std::printf("%-11s %-13s %7d %14.0f %s %s %9.1f %7.1f%%\n", factorized ? "factorized" : "direct",
                  label.c_str(), threads, ours, rate_and_ratio(ours, fair[threads]).c_str(),
                  rate_and_ratio(ours, plain[threads]).c_str(), ours * f / 1e9,
                  100.0 * ours * f / 1e9 / (peak * threads));
    };
    for (const int version : {1, kNew}) {
      for (auto& n : nets) n.kernel_version = version;
      const std::string label =
          version == 1 ? "v1 eigen" : "v" + std::to_string(version) + " " + kernels::path_name(active);
      for (const int threads : {1, 2}) row(label, threads, tokens_per_second(nets, batch_data, threads, 3));
      if (version == kNew) {
        for (const kernels::Path p : kernels::supported_paths()) {
          if (p == active) continue;
          kernels::set_path(p);
          row("v" + std::to_string(version) + " " + kernels::path_name(p), 1,
              tokens_per_second(nets, batch_data, 1, p == kernels::Path::kPortable ? 1 : 3));
        }
        kernels::set_path(active);
      }
    }
  }
  std::printf("\nPyTorch (bench/lm_torch.py; fair: jemalloc keeping freed memory, inference mode, 2 warm-up passes, "
              "best of 5; plain: glibc malloc, 1 warm-up, best of 3):\n");
  for (const auto& note : torch_notes) std::printf("  %s\n", note.c_str());
  std::printf("\nTable 1 generation: 512 individuals x 1024 sequences (%.0f fed tokens each, lengths 100..340), "
              "2 threads, one network each, best of 3 rounds after a warm-up\n",
              static_cast<double>(table1.tokens.size()));
  const auto small_arch = genome::parse_architecture(json::array({kSmall}), std::nullopt);
  const std::pair<const char*, std::pair<const genome::Architecture*, json>> conditions[] = {
      {"direct", {&arch, json{{"type", "direct"}}}},
      {"factorized", {&arch, kFactorized}},
      {"small", {&small_arch, json{{"type", "direct"}}}}};
  for (const int version : {1, kNew}) {
    double total = 0;
    for (const auto& [name, spec] : conditions) {
      genome::Genome g(*spec.first, genome::parse_representation(spec.second), {0.01, 0.01}, noise::kNewestVersion);
      g.set_kernel_version(version);
      std::vector<nn::TransformerWeights> nets;
      std::vector<std::vector<float>> genotypes{g.init(20), g.init(21)};
      for (auto& gt : genotypes) nets.push_back(genome::transformer_weights(g, gt));
      const double pair = concurrent_evaluation_seconds(nets, table1);
      const double gen = pair * 512 / 2;
      total += gen;
      std::printf("  kernels v%d %-10s two evaluations at once %.3f s; one generation %.0f s\n", version, name, pair,
                  gen);
    }
    const double mean_gen = total / 3;
    std::printf("  kernels v%d: 300 generations x 3 conditions x 7 trials at about %.0f s per generation: %.1f days "
                "on 2 threads\n",
                version, mean_gen, mean_gen * 300 * 3 * 7 / 86400);
  }
  return 0;
}
