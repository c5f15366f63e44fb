// Pretrained starting points at the Genome level (docs/genome.md): a direct genome's roots are
// the base file bit for bit, a lora genome's phenotype is base + A.B (checked against numpy),
// its genotype holds only A and B, and every disagreement between the file and the network is
// an error naming the tensor. Base files are written with seedline's own writer from values
// chosen here, or by numpy.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "genome/genome.hpp"
#include "genome/pretrained.hpp"
#include "genome/safetensors.hpp"
#include "genome/transformer_spec.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

// The Debian interpreter has numpy (scripts/setup.sh); a python3 earlier in PATH may not.
std::string python_with_numpy() {
  for (const char* p : {"/usr/bin/python3", "python3"}) {
    if (seedline::testing::run_process({p, "-c", "import numpy"}).exit_code == 0) return p;
  }
  return {};
}

Architecture mlp(int in, int hidden, int out) {
  return parse_architecture(json::parse(R"([{"type": "dense", "in": )" + std::to_string(in) + R"(, "out": )" +
                                        std::to_string(hidden) + R"(, "activation": "tanh"}, {"type": "dense", "out": )" +
                                        std::to_string(out) + "}]"),
                            std::nullopt);
}

// Values with every kind of bit pattern a float32 file may hold: fractions, negatives, -0.
std::vector<float> values(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (static_cast<float>(i % 7) - 3.0f) / 3.0f;
  if (n > 3) v[3] = -0.0f;
  return v;
}

// The phenotype of `arch` as named tensors with made-up values, and the file holding them.
struct Base {
  std::vector<std::vector<float>> tensors;
  std::string bytes;
  SafetensorsFile file() const { return SafetensorsFile::parse(bytes, "base.safetensors"); }
  std::vector<float> flat() const {
    std::vector<float> out;
    for (const auto& t : tensors) out.insert(out.end(), t.begin(), t.end());
    return out;
  }
};

Base base_for(const Architecture& arch, const std::vector<std::string>& skip = {}) {
  Base b;
  std::vector<NamedTensor> named;
  for (size_t i = 0; i < arch.tensors.size(); ++i) b.tensors.push_back(values(static_cast<size_t>(arch.tensors[i].size()), 0.25f + static_cast<float>(i)));
  for (size_t i = 0; i < arch.tensors.size(); ++i) {
    const auto& t = arch.tensors[i];
    if (std::find(skip.begin(), skip.end(), t.name) == skip.end()) named.push_back({t.name, t.shape, b.tensors[i]});
  }
  b.bytes = encode_safetensors(named, json::object());
  return b;
}

Representation rep(const char* text) { return parse_representation(json::parse(text)); }

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Pretrained, DirectRootsAreTheBaseBitForBitWhateverTheSeed) {
  const Architecture arch = mlp(5, 4, 3);
  const Base base = base_for(arch);
  const SafetensorsFile file = base.file();
  const Genome g(arch, rep(R"({"type": "direct"})"), {.mutation_rate = 0.1}, 1, {.declared = true, .file = &file});
  for (const uint64_t seed : {0ull, 1ull, 0xdeadbeefull}) {
    const auto root = g.init(seed);
    EXPECT_TRUE(same_bits(root, base.flat())) << seed;
    EXPECT_TRUE(same_bits(g.develop(root), base.flat())) << seed;
    EXPECT_TRUE(same_bits(g.init_parallel(seed, [](size_t n, const std::function<void(size_t)>& piece) {
      for (size_t i = n; i-- > 0;) piece(i);
    }), base.flat()));
  }
  // Children mutate from the base exactly as from any genotype.
  auto child = g.init(5);
  g.mutate(child, 77);
  const Genome plain(arch, rep(R"({"type": "direct"})"), {.mutation_rate = 0.1}, 1);
  auto expected = base.flat();
  plain.mutate(expected, 77);
  EXPECT_TRUE(same_bits(child, expected));
}

TEST(Pretrained, WithoutABaseTheGenomeIsUnchanged) {
  const Architecture arch = mlp(5, 4, 3);
  const Genome a(arch, rep(R"({"type": "factorized", "rank": 2})"), {.mutation_rate = 0.1}, 1);
  const Genome b(arch, rep(R"({"type": "factorized", "rank": 2})"), {.mutation_rate = 0.1}, 1, {});
  EXPECT_TRUE(same_bits(a.init(9), b.init(9)));
  for (const auto& block : a.blocks()) EXPECT_FALSE(block.from_base) << block.name;
}

TEST(Pretrained, LoraGenotypeHoldsOnlyTheFactorsAndStartsAtTheBase) {
  const Architecture arch = mlp(6, 5, 3);
  const Base base = base_for(arch);
  const SafetensorsFile file = base.file();
  const int k = 2;
  const Genome g(arch, rep(R"({"type": "lora", "rank": 2})"), {.mutation_rate = 0.05}, 1,
                 {.declared = true, .file = &file});
  // k * (in + out) per layer: 2 * (6 + 5) + 2 * (5 + 3); biases are frozen.
  EXPECT_EQ(g.genotype_size(), static_cast<size_t>(k * (6 + 5) + k * (5 + 3)));
  ASSERT_EQ(g.blocks().size(), 4u);
  EXPECT_EQ(g.blocks()[0].name, "layers.0.weight.A");
  EXPECT_EQ(g.blocks()[0].shape, (std::vector<int64_t>{5, 2}));
  EXPECT_EQ(g.blocks()[1].name, "layers.0.weight.B");
  EXPECT_EQ(g.blocks()[1].shape, (std::vector<int64_t>{2, 6}));
  EXPECT_FALSE(g.phenotype_is_genotype());
  const auto root = g.init(3);
  // A is drawn like a factor (std sqrt(sqrt(2)/k)), B is zero, so the phenotype is the base.
  const Block& a = g.blocks()[0];
  const Block& b = g.blocks()[1];
  EXPECT_NE(root[a.offset], 0.0f);
  EXPECT_FLOAT_EQ(a.init_std, static_cast<float>(std::sqrt(std::sqrt(2.0) / k)));
  for (size_t i = 0; i < b.size; ++i) EXPECT_EQ(std::bit_cast<uint32_t>(root[b.offset + i]), 0u);
  // B mutates like a factor: sqrt(mr) * sqrt(sqrt(2) / fan_in).
  EXPECT_FLOAT_EQ(b.mutation_std, static_cast<float>(std::sqrt(0.05) * std::sqrt(std::sqrt(2.0) / 6.0)));
  EXPECT_TRUE(same_bits(g.develop(root), base.flat()));  // including the -0 values of the base
  EXPECT_FALSE(same_bits(g.init(4), root));              // A differs between roots
}

TEST(Pretrained, LoraPhenotypeIsBasePlusAtimesBLikeNumpy) {
  seedline::testing::TempDir dir;
  const Architecture arch = mlp(7, 6, 4);
  const Base base = base_for(arch);
  const SafetensorsFile file = base.file();
  const Genome g(arch, rep(R"({"type": "lora", "rank": 3})"), {.mutation_rate = 0.3}, 1,
                 {.declared = true, .file = &file});
  auto genotype = g.init(11);
  g.mutate(genotype, 12);
  g.mutate(genotype, 13);
  const auto phenotype = g.develop(genotype);
  // numpy, in float64, from the base file and the genotype as flat float32 files.
  std::vector<NamedTensor> blocks;
  for (const auto& b : g.blocks()) blocks.push_back({b.name, b.shape, std::span<const float>(genotype).subspan(b.offset, b.size)});
  blocks.push_back({"phenotype", {static_cast<int64_t>(phenotype.size())}, phenotype});
  seedline::testing::write_file(dir / "base.safetensors", base.bytes);
  seedline::testing::write_file(dir / "genotype.safetensors", encode_safetensors(blocks, json::object()));
  const std::string script = R"(import json, sys
import numpy as np
def load(path):
    data = open(path, 'rb').read()
    n = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + n]); header.pop('__metadata__', None)
    return {k: np.frombuffer(data[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], dtype='<f4')
               .reshape(v['shape']).astype(np.float64) for k, v in header.items()}
base, g = load(sys.argv[1]), load(sys.argv[2])
parts = []
for name in ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']:
    w = base[name]
    if name + '.A' in g:
        w = w + g[name + '.A'] @ g[name + '.B']
    parts.append(w.ravel())
expected = np.concatenate(parts)
err = np.max(np.abs(expected - g['phenotype']) / np.maximum(1.0, np.abs(expected)))
print(err)
sys.exit(0 if err < 1e-6 else 1)
)";
  seedline::testing::write_file(dir / "check.py", script);
  const std::string python = python_with_numpy();
  ASSERT_FALSE(python.empty()) << "python3 with numpy is needed (Debian python3-numpy)";
  const auto r = seedline::testing::run_process(
      {python, (dir / "check.py").string(), (dir / "base.safetensors").string(), (dir / "genotype.safetensors").string()});
  EXPECT_EQ(r.exit_code, 0) << "max relative error " << r.out << r.err;
  // The biases are frozen: exactly the base's.
  const size_t w0 = 6 * 7;
  EXPECT_TRUE(same_bits(std::span<const float>(phenotype).subspan(w0, 6), base.tensors[1]));
}

TEST(Pretrained, LoraOnAConvKernelAddsTheTransposedProduct) {
  const Architecture arch = parse_architecture(
      json::parse(R"([{"type": "conv", "out": 3, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "out": 2}])"),
      std::vector<int64_t>{2, 3, 3});
  const Base base = base_for(arch);
  const SafetensorsFile file = base.file();
  const Genome g(arch, rep(R"({"type": "lora", "rank": 1})"), {.mutation_rate = 0.3}, 1,
                 {.declared = true, .file = &file});
  auto genotype = g.init(1);
  EXPECT_TRUE(same_bits(g.develop(genotype), base.flat()));
  g.mutate(genotype, 2);
  const auto p = g.develop(genotype);
  // kernel[o][i][y][x] = base + (A.B)[(i*2 + y)*2 + x][o], A (8 x 1), B (1 x 3).
  const float* a = genotype.data() + g.blocks()[0].offset;
  const float* b = genotype.data() + g.blocks()[1].offset;
  for (int o = 0; o < 3; ++o) {
    for (int r = 0; r < 8; ++r) {
      const size_t at = static_cast<size_t>(o * 8 + r);
      EXPECT_NEAR(p[at], base.tensors[0][at] + a[r] * b[o], 1e-6) << o << " " << r;
    }
  }
}

TEST(Pretrained, FactorizedStartsFromFactorsByBlockName) {
  const Architecture arch = mlp(4, 3, 2);
  const Genome plain(arch, rep(R"({"type": "factorized", "rank": 2})"), {.mutation_rate = 0.1}, 1);
  auto exported = plain.init(21);
  plain.mutate(exported, 22);
  std::vector<NamedTensor> blocks;
  for (const auto& b : plain.blocks()) blocks.push_back({b.name, b.shape, std::span<const float>(exported).subspan(b.offset, b.size)});
  const auto file = SafetensorsFile::parse(encode_safetensors(blocks, json::object()), "f.safetensors");
  const Genome g(arch, rep(R"({"type": "factorized", "rank": 2})"), {.mutation_rate = 0.1}, 1,
                 {.declared = true, .file = &file});
  EXPECT_TRUE(same_bits(g.init(0), exported));
  // A merged weight cannot be factored back: refused, with the way out.
  const Base merged = base_for(arch);
  const auto merged_file = merged.file();
  const std::string what = error_of([&] {
    Genome(arch, rep(R"({"type": "factorized", "rank": 2})"), {}, 1, {.declared = true, .file = &merged_file});
  });
  EXPECT_NE(what.find("init.from: 'base.safetensors': tensor 'layers.0.weight.A' [3, 2] is missing (the file holds "
                      "the merged weight 'layers.0.weight'"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("use the lora representation"), std::string::npos) << what;
}

TEST(Pretrained, MismatchesNameTheTensor) {
  const Architecture arch = mlp(4, 3, 2);
  const auto direct = rep(R"({"type": "direct"})");
  const auto build = [&](const std::string& bytes) {
    const auto f = SafetensorsFile::parse(bytes, "base.safetensors");
    Genome(arch, direct, {}, 1, {.declared = true, .file = &f});
  };
  const Base good = base_for(arch);
  EXPECT_EQ(error_of([&] { build(good.bytes); }), "no error");

  const Base missing = base_for(arch, {"layers.1.bias"});
  EXPECT_NE(error_of([&] { build(missing.bytes); }).find("tensor 'layers.1.bias' [2] is missing"), std::string::npos);

  const std::vector<float> extra_values(2, 1.0f);
  std::vector<NamedTensor> named;
  for (size_t i = 0; i < arch.tensors.size(); ++i) named.push_back({arch.tensors[i].name, arch.tensors[i].shape, good.tensors[i]});
  auto with_extra = named;
  with_extra.push_back({"layers.2.weight", {2}, extra_values});
  EXPECT_NE(error_of([&] { build(encode_safetensors(with_extra, json::object())); })
                .find("tensor 'layers.2.weight' is not part of this genome (it takes layers.0.weight, layers.0.bias"),
            std::string::npos);

  auto reshaped = named;
  reshaped[0].shape = {4, 3};  // the network's is [3, 4]
  EXPECT_NE(error_of([&] { build(encode_safetensors(reshaped, json::object())); })
                .find("tensor 'layers.0.weight' has shape [4, 3]; the network's is [3, 4]"),
            std::string::npos);

  // The same header with dtype F16 (and half the bytes): refused by name.
  std::string f16 = R"({"layers.0.weight": {"dtype": "F16", "shape": [3, 4], "data_offsets": [0, 24]}})";
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((f16.size() >> (8 * i)) & 0xff));
  bytes += f16 + std::string(24, '\0');
  EXPECT_NE(error_of([&] { build(bytes); }).find("tensor 'layers.0.weight' has dtype F16; base weights must be F32"),
            std::string::npos);
}

// QA: a base of all-NaN or infinite weights was accepted and every run "finished" at -inf.
// Refused naming the tensor, whether the tensor is evolved (direct) or frozen (lora).
TEST(Pretrained, NonFiniteBaseWeightsAreRefusedNamingTheTensor) {
  const Architecture arch = mlp(4, 3, 2);
  const Base good = base_for(arch);
  for (const char* representation : {R"({"type": "direct"})", R"({"type": "lora", "rank": 1})"}) {
    SCOPED_TRACE(representation);
    const auto r = rep(representation);
    for (const float bad : {std::nanf(""), INFINITY, -INFINITY}) {
      std::vector<std::vector<float>> tensors = good.tensors;
      tensors[2][4] = bad;  // layers.1.weight [2, 3]
      std::vector<NamedTensor> named;
      for (size_t i = 0; i < arch.tensors.size(); ++i) named.push_back({arch.tensors[i].name, arch.tensors[i].shape, tensors[i]});
      const auto f = SafetensorsFile::parse(encode_safetensors(named, json::object()), "base.safetensors");
      const std::string value = std::isnan(bad) ? "nan" : bad > 0 ? "inf" : "-inf";
      EXPECT_EQ(error_of([&] { Genome(arch, r, {}, 1, {.declared = true, .file = &f}); }),
                "init.from: 'base.safetensors': tensor 'layers.1.weight' holds 1 non-finite value of 6 (the first, " +
                    value + ", at index 4); base weights must be finite numbers");
    }
  }
}

TEST(Pretrained, LayerNormInTheFileMustHoldItsFixedValue) {
  const Architecture arch = parse_architecture(
      json::parse(R"([{"type": "dense", "in": 3, "out": 3}, {"type": "layer_norm"}, {"type": "dense", "out": 2}])"),
      std::nullopt);
  const auto direct = rep(R"({"type": "direct"})");
  // Without the layer norm (a genotype export) and with it at 1/0 (a phenotype export): both fine.
  std::vector<std::vector<float>> v;
  std::vector<NamedTensor> all, evolvable;
  for (const auto& t : arch.tensors) {
    v.push_back(std::vector<float>(static_cast<size_t>(t.size()), t.kind == TensorKind::kNormScale ? 1.0f : 0.5f));
    if (t.kind == TensorKind::kNormBias) std::fill(v.back().begin(), v.back().end(), 0.0f);
  }
  for (size_t i = 0; i < arch.tensors.size(); ++i) {
    all.push_back({arch.tensors[i].name, arch.tensors[i].shape, v[i]});
    if (arch.tensors[i].evolvable) evolvable.push_back(all.back());
  }
  for (const auto* set : {&all, &evolvable}) {
    const auto f = SafetensorsFile::parse(encode_safetensors(*set, json::object()), "b");
    const Genome g(arch, direct, {}, 1, {.declared = true, .file = &f});
    const auto p = g.develop(g.init(0));
    EXPECT_EQ(p[12], 1.0f);  // layers.1.scale follows the 9 + 3 values of layer 0
  }
  v[2][1] = 0.9f;  // layers.1.scale
  all[2].values = v[2];
  const auto f = SafetensorsFile::parse(encode_safetensors(all, json::object()), "b");
  EXPECT_NE(error_of([&] { Genome(arch, direct, {}, 1, {.declared = true, .file = &f}); })
                .find("tensor 'layers.1.scale' is fixed at 1.000000 (a layer norm, never evolved), but the file holds "
                      "0.900000 at index 1"),
            std::string::npos);
}

TEST(Pretrained, LoraNeedsABase) {
  EXPECT_NE(error_of([] { Genome(mlp(3, 2, 1), rep(R"({"type": "lora", "rank": 1})"), {}, 1); })
                .find("representation: lora needs init.from"),
            std::string::npos);
  // Declared but not loaded (counting only): init and develop refuse.
  const Genome counted(mlp(3, 2, 1), rep(R"({"type": "lora", "rank": 1})"), {}, 1, {.declared = true});
  EXPECT_EQ(counted.genotype_size(), 1u * (3 + 2) + 1u * (2 + 1));
  EXPECT_NE(error_of([&] { counted.init(0); }).find("base weights (init.from) were not loaded"), std::string::npos);
  EXPECT_NE(error_of([&] { counted.develop(std::vector<float>(counted.genotype_size())); }).find("were not loaded"),
            std::string::npos);
}

// A transformer under lora runs the merged weights: at generation 0 exactly the base model
// (the same logits, bit for bit, as the direct genome the base was exported from), later the
// same logits as a direct genome holding the developed weights.
TEST(Pretrained, LoraTransformerRunsTheMergedWeights) {
  const Architecture arch = parse_architecture(
      json::parse(R"([{"type": "transformer", "vocab": 12, "d_model": 8, "blocks": 1, "heads": 2, "head_dim": 4, "ff": 16}])"),
      std::nullopt);
  const Genome direct(arch, rep(R"({"type": "direct"})"), {.mutation_rate = 0.1}, 1);
  auto trained = direct.init(1);
  direct.mutate(trained, 2);
  const auto base_values = direct.develop(trained);
  std::vector<NamedTensor> named;
  size_t at = 0;
  for (const auto& t : arch.tensors) {
    named.push_back({t.name, t.shape, std::span<const float>(base_values).subspan(at, static_cast<size_t>(t.size()))});
    at += static_cast<size_t>(t.size());
  }
  const auto file = SafetensorsFile::parse(encode_safetensors(named, json::object()), "lm-base.safetensors");
  const Genome lora(arch, rep(R"({"type": "lora", "rank": 2})"), {.mutation_rate = 0.1}, 1,
                    {.declared = true, .file = &file});
  // k * (rows + cols): embed 12x8, q/k/v/o 8x8, ff1 16x8, ff2 8x16.
  EXPECT_EQ(lora.genotype_size(), 2u * (20 + 4 * 16 + 24 + 24));
  const std::vector<int32_t> tokens = {1, 4, 9, 5, 2, 1, 7, 3, 11, 2};
  const std::vector<int64_t> offsets = {0, 5, 10};
  const nn::PackedSequences data{tokens, offsets};
  nn::TransformerWorkspace ws;
  const auto base_logits = nn::transformer_logits(transformer_weights(direct, trained), data, ws);
  auto g = lora.init(3);
  EXPECT_TRUE(same_bits(nn::transformer_logits(transformer_weights(lora, g), data, ws), base_logits));
  lora.mutate(g, 4);
  const auto merged = lora.develop(g);
  std::vector<float> as_direct;  // the developed phenotype's evolvable tensors: a direct genotype
  at = 0;
  for (const auto& t : arch.tensors) {
    if (t.evolvable) as_direct.insert(as_direct.end(), merged.begin() + static_cast<std::ptrdiff_t>(at),
                                      merged.begin() + static_cast<std::ptrdiff_t>(at + static_cast<size_t>(t.size())));
    at += static_cast<size_t>(t.size());
  }
  const auto logits = nn::transformer_logits(transformer_weights(lora, g), data, ws);
  EXPECT_TRUE(same_bits(logits, nn::transformer_logits(transformer_weights(direct, as_direct), data, ws)));
  EXPECT_FALSE(same_bits(logits, base_logits));
}

TEST(Pretrained, RecordedFileIsCheckedOnEveryLoad) {
  seedline::testing::TempDir dir;
  const Architecture arch = mlp(3, 2, 1);
  const Base base = base_for(arch);
  seedline::testing::write_file(dir / "base.safetensors", base.bytes);
  evolve::InitSpec init{.from = (dir / "base.safetensors").string()};
  record_init_file(init);
  EXPECT_EQ(*init.bytes, static_cast<int64_t>(base.bytes.size()));
  ASSERT_TRUE(init.xxh64.has_value());
  EXPECT_EQ(init.xxh64->size(), 16u);
  EXPECT_EQ(load_init_file(init).bytes(), base.bytes);
  // One byte flipped in the data, same size: refused with both records.
  std::string flipped = base.bytes;
  flipped.back() = static_cast<char>(flipped.back() ^ 1);
  seedline::testing::write_file(dir / "base.safetensors", flipped);
  const std::string changed = error_of([&] { load_init_file(init); });
  EXPECT_NE(changed.find("init.from: '" + init.from + "' changed since the experiment was submitted (now " +
                         std::to_string(base.bytes.size()) + " bytes, xxh64 "),
            std::string::npos)
      << changed;
  EXPECT_NE(changed.find("; submitted " + std::to_string(base.bytes.size()) + " bytes, xxh64 " + *init.xxh64),
            std::string::npos)
      << changed;
  std::filesystem::remove(dir / "base.safetensors");
  const std::string missing = error_of([&] { load_init_file(init); });
  EXPECT_NE(missing.find("init.from: '" + init.from + "': no such file (the experiment was submitted with "), std::string::npos)
      << missing;
}

}  // namespace
}  // namespace seedline::genome
