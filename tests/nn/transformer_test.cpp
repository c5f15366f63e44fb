// The transformer's forward pass and loss against an independent PyTorch implementation
// (tests/nn/reference/transformer_ref.py, float64, one sequence at a time, no packing) run on
// the phenotype the genome develops: direct and factorized genomes, sequences of unequal
// length packed several per pass and over more than one pass, and a context that cuts long
// sequences. Tolerance: 1e-5 relative on every sequence's loss and on the mean loss; each
// logit within 1e-5 x the largest |logit| of its row (float32 against float64). Every case runs
// at kernel version 1 (the Eigen code) and 2 (src/kernels/, docs/kernels.md); version 3 (its
// own rotary table and a factorized embedding developed on the kernels) for two of them.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "genome/genome.hpp"
#include "genome/transformer_spec.hpp"
#include "nn/transformer.hpp"
#include "noise/noise.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "tasks/language_model.hpp"

namespace seedline {
namespace {

using nlohmann::json;
using testing::run_process;
using testing::TempDir;
using testing::write_file;

// The Debian interpreter has torch (python3-torch); a python3 earlier in PATH may not.
std::string python_with_torch() {
  for (const char* p : {"/usr/bin/python3", "python3"}) {
    if (run_process({p, "-c", "import torch"}).exit_code == 0) return p;
  }
  return {};
}

// The phenotype as safetensors: one F32 tensor per architecture tensor, by name.
std::string safetensors(const genome::Architecture& arch, const std::vector<float>& phenotype) {
  json header = json::object();
  size_t offset = 0;
  for (const auto& t : arch.tensors) {
    const size_t bytes = static_cast<size_t>(t.size()) * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  out += text;
  out.append(reinterpret_cast<const char*>(phenotype.data()), phenotype.size() * sizeof(float));
  return out;
}

struct Case {
  const char* name;
  json layer;
  json representation;
  int kernel = 1;  // TransformerWeights::kernel_version
};

class TransformerReference : public ::testing::TestWithParam<Case> {};

TEST_P(TransformerReference, LossAndLogitsEqualPyTorch) {
  const Case& c = GetParam();
  const std::string python = python_with_torch();
  ASSERT_FALSE(python.empty()) << "python3 with torch is needed (Debian python3-torch)";
  TempDir dir;

  const auto arch = genome::parse_architecture(json::array({c.layer}), std::nullopt);
  // A large bias std so the biases are far from their initial zeros after two mutations; a
  // mutation rate that moves the weights well away from their init without blowing them up.
  genome::Genome g(arch, genome::parse_representation(c.representation), {0.05, 0.3}, noise::kNewestVersion);
  g.set_kernel_version(c.kernel);  // version 3 develops a factorized embedding on the kernels
  std::vector<float> genotype = g.init(11);
  g.mutate(genotype, 12);
  g.mutate(genotype, 13);
  write_file(dir / "model.safetensors", safetensors(arch, g.develop(genotype)));
  write_file(dir / "config.json", c.layer.dump());

  // 60 sequences of 1..80 BPE tokens: about 2,500 fed tokens, so more than one packed pass.
  const int64_t bpe = c.layer["vocab"].get<int64_t>() - 3;
  std::mt19937 rng(5);
  std::string text;
  for (int s = 0; s < 60; ++s) {
    const int len = 1 + static_cast<int>(rng() % 80);
    for (int t = 0; t < len; ++t) {
      text += t ? " " : "";
      text += std::to_string(rng() % static_cast<uint32_t>(bpe));
    }
    text += "\n";
  }
  write_file(dir / "data.tokens", text);

  const tasks::LanguageModelTask task(dir / "data.tokens", 0, std::nullopt, std::nullopt, true);
  auto weights = genome::transformer_weights(g, genotype);
  weights.kernel_version = c.kernel;
  nn::TransformerWorkspace ws;
  std::vector<double> per_sequence(60);
  const nn::LossSum sum = nn::transformer_loss(weights, {task.fed_tokens(), task.offsets()}, ws, per_sequence);
  const std::vector<float> logits = nn::transformer_logits(weights, {task.fed_tokens(), task.offsets()}, ws);
  const double fitness = task.score_network(weights);

  const auto r = run_process({python, (testing::source_dir() / "tests/nn/reference/transformer_ref.py").string(),
                              (dir / "model.safetensors").string(), (dir / "config.json").string(),
                              (dir / "data.tokens").string(), (dir / "ref.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json ref = json::parse(testing::read_file(dir / "ref.json"));

  ASSERT_EQ(ref["per_sequence"].size(), per_sequence.size());
  for (size_t s = 0; s < per_sequence.size(); ++s) {
    const double want = ref["per_sequence"][s].get<double>();
    EXPECT_NEAR(per_sequence[s], want, 1e-5 * std::abs(want)) << "sequence " << s;
  }
  const double mean = ref["mean"].get<double>();
  EXPECT_NEAR(sum.nats / static_cast<double>(sum.predicted), mean, 1e-5 * mean);
  EXPECT_NEAR(-fitness, mean, 1e-5 * mean);
  ASSERT_EQ(ref["logits"].size(), logits.size());
  // Each logit against the scale of its row (a logit near zero is a sum of large terms that
  // cancel, so its own size says nothing about float32 rounding).
  const size_t V = static_cast<size_t>(c.layer["vocab"].get<int64_t>());
  const auto worst_error = [&](const auto& value_at) {
    double worst = 0;
    for (size_t row = 0; row < logits.size() / V; ++row) {
      double scale = 1;
      for (size_t j = 0; j < V; ++j) scale = std::max(scale, std::abs(ref["logits"][row * V + j].get<double>()));
      for (size_t j = 0; j < V; ++j) worst = std::max(worst, std::abs(value_at(row * V + j)) / scale);
    }
    return worst;
  };
  EXPECT_LT(worst_error([&](size_t i) { return logits[i] - ref["logits"][i].get<double>(); }), 1e-5);

  // The same phenotype as a direct genome (dense weights, no factors): the factorized path,
  // (x.B^T).A^T, must give the same model to float tolerance.
  const genome::Genome dense(arch, genome::parse_representation({{"type", "direct"}}), {}, noise::kNewestVersion);
  std::vector<float> developed = g.develop(genotype), flat;
  size_t at = 0;
  for (const auto& t : arch.tensors) {
    if (t.evolvable) flat.insert(flat.end(), developed.begin() + at, developed.begin() + at + t.size());
    at += static_cast<size_t>(t.size());
  }
  auto dense_weights = genome::transformer_weights(dense, flat);
  dense_weights.kernel_version = c.kernel;
  const auto dense_logits = nn::transformer_logits(dense_weights, {task.fed_tokens(), task.offsets()}, ws);
  EXPECT_LT(worst_error([&](size_t i) { return static_cast<double>(logits[i] - dense_logits[i]); }), 1e-5);
}

const json kLayer = {{"type", "transformer"}, {"vocab", 40}, {"d_model", 16}, {"blocks", 2}, {"heads", 2},
                     {"head_dim", 4},         {"ff", 32}};

json with(json layer, const char* key, json value) {
  layer[key] = std::move(value);
  return layer;
}

INSTANTIATE_TEST_SUITE_P(
    Genomes, TransformerReference,
    ::testing::Values(
        Case{"direct", kLayer, {{"type", "direct"}}},
        Case{"factorized",
             kLayer,
             {{"type", "factorized"}, {"rank", 3}, {"embedding_rank", 5}, {"attention_rank", 2}, {"ff_rank", 4}}},
        Case{"direct_context_12_tanh", with(with(kLayer, "context", 12), "activation", "tanh"), {{"type", "direct"}}},
        Case{"direct_v2", kLayer, {{"type", "direct"}}, 2},
        Case{"factorized_v2",
             kLayer,
             {{"type", "factorized"}, {"rank", 3}, {"embedding_rank", 5}, {"attention_rank", 2}, {"ff_rank", 4}},
             2},
        Case{"direct_context_12_tanh_v2", with(with(kLayer, "context", 12), "activation", "tanh"),
             {{"type", "direct"}}, 2},
        Case{"factorized_v3",
             kLayer,
             {{"type", "factorized"}, {"rank", 3}, {"embedding_rank", 5}, {"attention_rank", 2}, {"ff_rank", 4}},
             3},
        Case{"direct_context_12_tanh_v3", with(with(kLayer, "context", 12), "activation", "tanh"),
             {{"type", "direct"}}, 3}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace seedline
