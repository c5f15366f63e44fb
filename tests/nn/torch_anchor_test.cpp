// The benches' PyTorch anchors (bench/lm_torch.py, bench/conv_torch.py; README "Measured
// figures") compute seedline's own networks: the language model's loss, in both the fair and
// the plain formulation, direct and factorized, equals tests/nn/reference/transformer_ref.py's
// (float64, one sequence at a time) to 1e-6 relative on a small batch (a mean of float32
// losses agrees to ~3e-8; a sign error in the rotary positions shows as 4e-5), and the conv anchor
// builds the Table 2 Atari net with its 902,066 parameters. Also: the fair run is on jemalloc
// (libjemalloc2 is installed by scripts/setup.sh) and the plain run on glibc even when the
// environment preloads jemalloc. No speed is asserted: the figures live in bench/.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace {

using nlohmann::json;

// As tests/nn/conv_test.cpp: $SEEDLINE_TORCH_PYTHON, else Debian's /usr/bin/python3, else python3.
std::string torch_python() {
  if (const char* p = std::getenv("SEEDLINE_TORCH_PYTHON"); p != nullptr && *p != '\0') return p;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

json run_script(const std::string& script, std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), {torch_python(), (seedline::testing::source_dir() / "bench" / script).string()});
  const auto r = seedline::testing::run_process(args, "", {}, env);
  if (r.exit_code != 0) {
    ADD_FAILURE() << script << " failed (python3-torch is a test dependency, scripts/setup.sh): " << r.err;
    return json::object();
  }
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << script << " printed no JSON: " << r.out << r.err;
    return json::object();
  }
}

TEST(TorchAnchor, LanguageModelLossIsTheReferenceLossInEveryMode) {
  for (const std::string mode : {"fair", "plain"}) {
    for (const bool factorized : {false, true}) {
      SCOPED_TRACE(mode + (factorized ? " factorized" : " direct"));
      std::vector<std::string> args = {"--batch", "3", "--length", "11", "--mode", mode};
      if (factorized) args.emplace_back("--factorized");
      const json j = run_script("lm_torch.py", args);
      ASSERT_FALSE(j.contains("unavailable")) << j.dump();
      ASSERT_TRUE(j.contains("reference_max_rel")) << j.dump();
      EXPECT_LT(j["reference_max_rel"].get<double>(), 1e-6);
      EXPECT_GT(j["tokens_per_second"].get<double>(), 0);
      EXPECT_EQ(j["mode"], mode);
      EXPECT_GE(j["minor_faults_total"].get<double>(), 0);
      const auto allocator = j["allocator"].get<std::string>();
      EXPECT_NE(allocator.find(mode == "fair" ? "jemalloc" : "glibc"), std::string::npos) << allocator;
    }
  }
}

TEST(TorchAnchor, PlainRunDropsAPreloadedJemalloc) {
  const json j = run_script("lm_torch.py", {"--batch", "2", "--length", "5", "--mode", "plain"},
                            {"LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "MALLOC_CONF=retain:true"});
  ASSERT_TRUE(j.contains("allocator")) << j.dump();
  EXPECT_EQ(j["allocator"], "glibc malloc");
}

TEST(TorchAnchor, ConvAnchorBuildsTheTable2AtariNet) {
  const std::string atari = R"([
    {"type": "conv", "out": 32, "kernel": 8, "stride": 4, "activation": "relu"},
    {"type": "conv", "out": 64, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 64, "kernel": 3, "stride": 1, "activation": "relu"},
    {"type": "flatten"}, {"type": "dense", "out": 256, "activation": "relu"}, {"type": "dense", "out": 18}])";
  for (const std::string mode : {"fair", "plain"}) {
    SCOPED_TRACE(mode);
    const json j = run_script("conv_torch.py",
                              {"--mode", mode, "--reps", "2", "--network", atari, "--input", "12", "84", "84"});
    ASSERT_TRUE(j.contains("parameters")) << j.dump();
    EXPECT_EQ(j["parameters"].get<int64_t>(), 902066);
    EXPECT_GT(j["frames_per_second"].get<double>(), 0);
    EXPECT_EQ(j["batch"], 1);
    EXPECT_EQ(j["threads"], 1);
    if (mode == "fair") {
      EXPECT_EQ(j["variants"].size(), 3u) << j.dump();
    }
  }
}

}  // namespace
