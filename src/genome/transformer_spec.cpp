#include "genome/transformer_spec.hpp"

#include <Eigen/Core>
#include <map>
#include <string>

#include "kernels/kernels.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 24;

// lora (a frozen base + A.B, docs/genome.md): the merged weights are developed once into
// `owned`, and every tensor, the fixed layer norms included, is read from that phenotype.
nn::TransformerWeights from_phenotype(const Genome& genome, std::span<const float> genotype) {
  const Architecture& arch = genome.architecture();
  nn::TransformerWeights w;
  w.config = arch.layers[0].transformer;
  w.kernel_version = genome.kernel_version();
  w.owned = genome.develop(genotype);
  std::map<std::string, std::pair<const float*, const TensorSpec*>> at;
  size_t offset = 0;
  for (const auto& t : arch.tensors) {
    at[t.name] = {w.owned.data() + offset, &t};
    offset += static_cast<size_t>(t.size());
  }
  const auto get = [&](const std::string& name) {
    const auto it = at.find(name);
    if (it == at.end()) fail(ErrorCode::kInternal, "transformer_weights: no tensor " + name);
    return it->second;
  };
  const auto linear = [&](const std::string& name) {
    nn::Linear l;
    const auto [weight, spec] = get(name + ".weight");
    l.weight = weight;
    l.out = spec->shape[0];
    l.in = spec->shape[1];
    l.bias = get(name + ".bias").first;
    return l;
  };
  w.embed = get("embed.weight").first;
  for (int64_t i = 0; i < w.config.blocks; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    nn::TransformerBlockWeights b;
    b.q = linear(p + "attn.q");
    b.k = linear(p + "attn.k");
    b.v = linear(p + "attn.v");
    b.o = linear(p + "attn.o");
    b.ff1 = linear(p + "ff1");
    b.ff2 = linear(p + "ff2");
    b.ln1_scale = get(p + "ln1.scale").first;
    b.ln1_bias = get(p + "ln1.bias").first;
    b.ln2_scale = get(p + "ln2.scale").first;
    b.ln2_bias = get(p + "ln2.bias").first;
    w.blocks.push_back(b);
  }
  w.out_bias = get("out.bias").first;
  return w;
}

}  // namespace

void add_transformer(FieldReader& r, Architecture& arch, LayerSpec& layer) {
  nn::TransformerConfig& c = layer.transformer;
  // 3 special tokens plus at least one BPE token.
  c.vocab = r.integer("vocab", std::nullopt, nn::kFirstBpeToken + 1, kMaxDim);
  c.d_model = r.integer("d_model", std::nullopt, 1, kMaxDim);
  c.blocks = r.integer("blocks", std::nullopt, 1, 1024);
  c.heads = r.integer("heads", std::nullopt, 1, kMaxDim);
  c.head_dim = r.integer("head_dim", std::nullopt, 2, kMaxDim);
  if (c.head_dim % 2 != 0) {
    invalid_argument(r.field("head_dim") + ": must be even (rotary positions pair dimension i with i + head_dim/2), got " +
                     std::to_string(c.head_dim));
  }
  if (c.heads * c.head_dim > kMaxDim) {
    invalid_argument(r.field("heads") + " x " + r.field("head_dim") + ": more than " + std::to_string(kMaxDim));
  }
  c.ff = r.integer("ff", std::nullopt, 1, kMaxDim);
  const std::string activation = r.string("activation", std::string("relu"));
  try {
    c.activation = nn::parse_activation(activation);
  } catch (const Error& e) {
    invalid_argument(r.field("activation") + ": " + e.what());
  }
  c.context = r.integer("context", 0, 0, kMaxDim);
  if (c.context == 1) invalid_argument(r.field("context") + ": must be 0 (no cut) or >= 2 tokens, got 1");

  const auto add = [&](std::string name, TensorKind kind, std::vector<int64_t> shape, int64_t fan_in,
                       RankKind rank_kind = RankKind::kDefault) {
    TensorSpec t;
    t.name = std::move(name);
    t.kind = kind;
    t.shape = std::move(shape);
    t.fan_in = fan_in;
    t.evolvable = kind != TensorKind::kNormScale && kind != TensorKind::kNormBias;
    t.rank_kind = rank_kind;
    arch.tensors.push_back(std::move(t));
    layer.tensors.push_back(static_cast<int>(arch.tensors.size()) - 1);
  };
  const int64_t C = c.d_model, H = c.heads * c.head_dim, F = c.ff;
  add("embed.weight", TensorKind::kEmbedding, {c.vocab, C}, C, RankKind::kEmbedding);
  for (int64_t i = 0; i < c.blocks; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    for (const char* m : {"q", "k", "v"}) {
      add(p + "attn." + m + ".weight", TensorKind::kDenseWeight, {H, C}, C, RankKind::kAttention);
      add(p + "attn." + m + ".bias", TensorKind::kBias, {H}, 1);
    }
    add(p + "attn.o.weight", TensorKind::kDenseWeight, {C, H}, H, RankKind::kAttention);
    add(p + "attn.o.bias", TensorKind::kBias, {C}, 1);
    add(p + "ln1.scale", TensorKind::kNormScale, {C}, 1);
    add(p + "ln1.bias", TensorKind::kNormBias, {C}, 1);
    add(p + "ff1.weight", TensorKind::kDenseWeight, {F, C}, C, RankKind::kFeedForward);
    add(p + "ff1.bias", TensorKind::kBias, {F}, 1);
    add(p + "ff2.weight", TensorKind::kDenseWeight, {C, F}, F, RankKind::kFeedForward);
    add(p + "ff2.bias", TensorKind::kBias, {C}, 1);
    add(p + "ln2.scale", TensorKind::kNormScale, {C}, 1);
    add(p + "ln2.bias", TensorKind::kNormBias, {C}, 1);
  }
  add("out.bias", TensorKind::kBias, {c.vocab}, 1);
}

nn::TransformerWeights transformer_weights(const Genome& genome, std::span<const float> genotype) {
  const Architecture& arch = genome.architecture();
  if (!arch.is_transformer()) invalid_argument("transformer_weights: the network is not a transformer");
  if (genotype.size() != genome.genotype_size()) {
    invalid_argument("the genotype has " + std::to_string(genotype.size()) + " values; this genome expects " +
                     std::to_string(genome.genotype_size()));
  }
  if (genome.develops_from_base()) return from_phenotype(genome, genotype);
  // Each evolvable tensor's blocks: one (direct) or two (factors A then B).
  std::map<std::string, std::vector<const Block*>> blocks;
  for (const Block& b : genome.blocks()) blocks[arch.tensors[static_cast<size_t>(b.tensor)].name].push_back(&b);
  const auto data = [&](const Block* b) { return genotype.data() + b->offset; };
  const auto tensor = [&](const std::string& name) -> const std::vector<const Block*>& {
    const auto it = blocks.find(name);
    if (it == blocks.end()) fail(ErrorCode::kInternal, "transformer_weights: no genotype block for " + name);
    return it->second;
  };

  nn::TransformerWeights w;
  w.config = arch.layers[0].transformer;
  w.kernel_version = genome.kernel_version();
  const int64_t C = w.config.d_model, V = w.config.vocab;
  // Layer norms are fixed at scale 1 and bias 0 (never evolved): one shared copy. A factorized
  // embedding is developed after them.
  const auto& embed = tensor("embed.weight");
  w.owned.assign(static_cast<size_t>(2 * C + (embed.size() == 2 ? V * C : 0)), 0.0f);
  std::fill_n(w.owned.begin(), C, 1.0f);
  const float* ones = w.owned.data();
  const float* zeros = w.owned.data() + C;
  if (embed.size() == 2) {
    const int64_t k = embed[0]->shape[1];
    float* e = w.owned.data() + 2 * C;
    if (w.kernel_version >= 3) {
      // A (V x k) . B (k x C) on the fixed-order kernels: each entry an fma chain over the
      // rank in order, the same bits on every machine (docs/kernels.md). B is already gemm's
      // "k x outputs" operand; it only gets its padded row stride.
      const int64_t ld = kernels::padded(C);
      std::vector<float> bt(static_cast<size_t>(k * ld), 0.0f);
      const float* b = data(embed[1]);
      for (int64_t r = 0; r < k; ++r) std::copy(b + r * C, b + (r + 1) * C, bt.begin() + r * ld);
      kernels::gemm(data(embed[0]), k, V, k, bt.data(), ld, C, nullptr, e, C);
    } else {
      using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      Eigen::Map<RowMat> m(e, V, C);
      m.noalias() = Eigen::Map<const RowMat>(data(embed[0]), V, k) * Eigen::Map<const RowMat>(data(embed[1]), k, C);
    }
    w.embed = e;
  } else {
    w.embed = data(embed[0]);
  }
  const auto linear = [&](const std::string& name) {
    nn::Linear l;
    const auto& wb = tensor(name + ".weight");
    const auto& spec = arch.tensors[static_cast<size_t>(wb[0]->tensor)];
    l.out = spec.shape[0];
    l.in = spec.shape[1];
    if (wb.size() == 2) {
      l.a = data(wb[0]);
      l.b = data(wb[1]);
      l.rank = wb[0]->shape[1];
    } else {
      l.weight = data(wb[0]);
    }
    l.bias = data(tensor(name + ".bias")[0]);
    return l;
  };
  for (int64_t i = 0; i < w.config.blocks; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    nn::TransformerBlockWeights b;
    b.q = linear(p + "attn.q");
    b.k = linear(p + "attn.k");
    b.v = linear(p + "attn.v");
    b.o = linear(p + "attn.o");
    b.ff1 = linear(p + "ff1");
    b.ff2 = linear(p + "ff2");
    b.ln1_scale = b.ln2_scale = ones;
    b.ln1_bias = b.ln2_bias = zeros;
    w.blocks.push_back(b);
  }
  w.out_bias = data(tensor("out.bias")[0]);
  return w;
}

}  // namespace seedline::genome
