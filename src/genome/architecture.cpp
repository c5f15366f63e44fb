#include "genome/architecture.hpp"

#include <string>

#include "genome/transformer_spec.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

// Widths and channel counts; the product of a tensor's shape is checked separately.
constexpr int64_t kMaxDim = int64_t{1} << 24;
// 2^30 float32 values (4 GiB): far beyond what a seed lineage is useful for, small enough that
// sizes fit every index type used downstream.
constexpr int64_t kMaxParameters = int64_t{1} << 30;

nn::Activation read_activation(FieldReader& r) {
  const std::string name = r.string("activation", std::string("linear"));
  try {
    return nn::parse_activation(name);
  } catch (const Error& e) {
    invalid_argument(r.field("activation") + ": " + e.what());
  }
}

// The layer's input width: its own "in", else the previous layer's output (or the task's input).
int64_t read_in(FieldReader& r, const std::optional<int64_t>& width, bool first) {
  if (!r.has("in")) {
    if (width) return *width;
    invalid_argument(r.field("in") + ": is required on the first layer (the task gives no input size)");
  }
  const int64_t in = r.integer("in", std::nullopt, 1, kMaxDim);
  if (width && in != *width) {
    invalid_argument(r.field("in") + ": must equal " +
                     (first ? std::string("the task's input size ") : std::string("the previous layer's output width ")) +
                     std::to_string(*width) + " (got " + std::to_string(in) + ")");
  }
  return in;
}

struct Builder {
  Architecture arch;
  std::string layer_path;

  int add(std::string suffix, TensorKind kind, std::vector<int64_t> shape, int64_t fan_in, bool evolvable = true) {
    TensorSpec t;
    t.name = "layers." + std::to_string(arch.layers.size()) + "." + suffix;
    t.kind = kind;
    t.shape = std::move(shape);
    t.fan_in = fan_in;
    t.evolvable = evolvable;
    if (t.size() > kMaxParameters) {
      invalid_argument(layer_path + ": tensor " + t.name + " has " + std::to_string(t.size()) +
                       " values, more than the limit of " + std::to_string(kMaxParameters));
    }
    arch.tensors.push_back(std::move(t));
    return static_cast<int>(arch.tensors.size()) - 1;
  }
};

std::pair<int64_t, int64_t> read_kernel(FieldReader& r) {
  const auto v = r.raw("kernel");
  const std::string field = r.field("kernel");
  const auto bad = [&] {
    invalid_argument(field + ": must be a positive integer or a list [h, w] of them, at most 4096 (got " +
                     (v ? describe(*v) : std::string("nothing")) + ")");
  };
  if (!v) invalid_argument(field + ": is required");
  const auto dim = [&](const json& x) -> int64_t {
    if (!x.is_number_integer() || x.get<int64_t>() < 1 || x.get<int64_t>() > 4096) bad();
    return x.get<int64_t>();
  };
  if (v->is_array()) {
    if (v->size() != 2) bad();
    return {dim((*v)[0]), dim((*v)[1])};
  }
  const int64_t k = dim(*v);
  return {k, k};
}

}  // namespace

int64_t TensorSpec::size() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

int64_t Architecture::parameter_count() const {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.size();
  return n;
}

bool Architecture::is_transformer() const { return layers.size() == 1 && layers[0].type == "transformer"; }

bool Architecture::is_mlp() const {
  if (layers.empty()) return false;
  for (const auto& l : layers) {
    if (l.type != "dense") return false;
  }
  return true;
}

Architecture parse_architecture(const nlohmann::json& network, std::optional<int> input_size,
                                const std::string& path) {
  if (!network.is_array() || network.empty()) {
    invalid_argument(path + ": must be a non-empty list of layers (got " + describe(network) + ")");
  }
  Builder b;
  std::optional<int64_t> width;
  if (input_size) {
    if (*input_size < 1) invalid_argument(path + ": the task's input size must be positive (got " +
                                          std::to_string(*input_size) + ")");
    width = *input_size;
  }
  for (size_t i = 0; i < network.size(); ++i) {
    b.layer_path = path + "[" + std::to_string(i) + "]";
    FieldReader r(network[i], b.layer_path);
    const bool first = i == 0;
    LayerSpec layer;
    layer.type = r.string("type");
    if (layer.type == "dense") {
      const int64_t in = read_in(r, width, first);
      const int64_t out = r.integer("out", std::nullopt, 1, kMaxDim);
      layer.activation = read_activation(r);
      layer.tensors.push_back(b.add("weight", TensorKind::kDenseWeight, {out, in}, in));
      if (r.boolean("bias", true)) layer.tensors.push_back(b.add("bias", TensorKind::kBias, {out}, 1));
      width = out;
    } else if (layer.type == "conv") {
      const int64_t in = read_in(r, width, first);
      const int64_t out = r.integer("out", std::nullopt, 1, kMaxDim);
      const auto [h, w] = read_kernel(r);
      layer.activation = read_activation(r);
      layer.tensors.push_back(b.add("weight", TensorKind::kConvKernel, {out, in, h, w}, in * h * w));
      if (r.boolean("bias", true)) layer.tensors.push_back(b.add("bias", TensorKind::kBias, {out}, 1));
      width = out;
    } else if (layer.type == "embedding") {
      const int64_t vocab = r.integer("vocab", std::nullopt, 1, kMaxDim);
      const int64_t dim = r.integer("dim", std::nullopt, 1, kMaxDim);
      layer.tensors.push_back(b.add("weight", TensorKind::kEmbedding, {vocab, dim}, dim));
      b.arch.tensors.back().rank_kind = RankKind::kEmbedding;
      width = dim;
    } else if (layer.type == "layer_norm") {
      const int64_t d = read_in(r, width, first);
      layer.activation = read_activation(r);
      layer.tensors.push_back(b.add("scale", TensorKind::kNormScale, {d}, 1, false));
      layer.tensors.push_back(b.add("bias", TensorKind::kNormBias, {d}, 1, false));
      width = d;
    } else if (layer.type == "bias") {
      const int64_t d = read_in(r, width, first);
      layer.activation = read_activation(r);
      layer.tensors.push_back(b.add("bias", TensorKind::kBias, {d}, 1));
      width = d;
    } else if (layer.type == "transformer") {
      if (network.size() != 1) {
        invalid_argument(r.field("type") + ": a transformer must be the network's only layer (the network has " +
                         std::to_string(network.size()) + ")");
      }
      add_transformer(r, b.arch, layer);
    } else {
      invalid_argument(r.field("type") + ": unknown layer type '" + layer.type +
                       "' (expected dense, conv, embedding, layer_norm, bias or transformer)");
    }
    r.finish();
    b.arch.layers.push_back(std::move(layer));
    if (b.arch.parameter_count() > kMaxParameters) {
      invalid_argument(path + ": more than " + std::to_string(kMaxParameters) + " parameters in total");
    }
  }
  return std::move(b.arch);
}

nlohmann::json Representation::to_json() const {
  if (type == Type::kDirect) return {{"type", "direct"}};
  json j = {{"type", "factorized"}, {"rank", rank}};
  if (embedding_rank) j["embedding_rank"] = *embedding_rank;
  if (attention_rank) j["attention_rank"] = *attention_rank;
  if (ff_rank) j["ff_rank"] = *ff_rank;
  return j;
}

int Representation::rank_for(RankKind kind) const {
  switch (kind) {
    case RankKind::kEmbedding: return embedding_rank.value_or(rank);
    case RankKind::kAttention: return attention_rank.value_or(rank);
    case RankKind::kFeedForward: return ff_rank.value_or(rank);
    case RankKind::kDefault: break;
  }
  return rank;
}

Representation parse_representation(const nlohmann::json& j, const std::string& path) {
  FieldReader r(j, path);
  const std::string type = r.string("type");
  Representation rep;
  if (type == "direct") {
    rep.type = Representation::Type::kDirect;
  } else if (type == "factorized") {
    rep.type = Representation::Type::kFactorized;
    rep.rank = static_cast<int>(r.integer("rank", std::nullopt, 1, kMaxDim));
    for (auto [key, slot] : {std::pair{"embedding_rank", &rep.embedding_rank},
                             std::pair{"attention_rank", &rep.attention_rank}, std::pair{"ff_rank", &rep.ff_rank}}) {
      if (r.has(key)) *slot = static_cast<int>(r.integer(key, std::nullopt, 1, kMaxDim));
    }
  } else {
    invalid_argument(r.field("type") + ": unknown representation '" + type + "' (expected direct or factorized)");
  }
  r.finish();
  return rep;
}

}  // namespace seedline::genome
