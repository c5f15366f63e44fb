#include "genome/architecture.hpp"

#include <string>
#include <tuple>

#include "genome/transformer_spec.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"
#include "util/suggest.hpp"

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
    invalid_argument(r.field("activation") + ": " + e.what() + did_you_mean(name, {"linear", "relu", "tanh", "sigmoid"}));
  }
}

// "12x64x64".
std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
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

// The flat input width of a dense, layer_norm or bias layer: an image must be flattened first.
int64_t read_flat_in(FieldReader& r, const std::string& type, const std::vector<int64_t>& shape, bool first) {
  if (shape.size() == 3) {
    invalid_argument(r.path() + ": a " + type + " layer needs a flat input but receives " + shape_text(shape) +
                     (first ? " from the task" : "") + "; add {\"type\": \"flatten\"} before it");
  }
  return read_in(r, shape.empty() ? std::nullopt : std::optional<int64_t>(shape[0]), first);
}

// A C x H x W shape whose values fit every index type downstream.
void check_image(const std::vector<int64_t>& shape, const std::string& field) {
  int64_t n = 1;
  for (const int64_t d : shape) {
    if (d < 1 || d > kMaxDim) {
      invalid_argument(field + ": every dimension must be from 1 to " + std::to_string(kMaxDim) + " (got " +
                       shape_text(shape) + ")");
    }
    n *= d;  // at most 2^24 * 2^30 before the check below stops the loop
    if (n > kMaxParameters) {
      invalid_argument(field + ": " + shape_text(shape) + " has more than " + std::to_string(kMaxParameters) +
                       " values");
    }
  }
}

// A conv layer's input: its own "in" (channels, or [C, H, W] on a first layer that gets no
// shape from the task), else what it receives. A flat {n} is read as n channels of unknown
// spatial size (the layer can be counted, not run).
std::vector<int64_t> read_conv_in(FieldReader& r, const std::vector<int64_t>& shape, bool first) {
  const auto v = r.raw("in");
  if (!v) {
    if (shape.empty()) {
      invalid_argument(r.field("in") + ": is required on the first layer (the task gives no input size)");
    }
    return shape;
  }
  std::vector<int64_t> given;
  if (v->is_array()) {
    if (v->size() != 3) {
      invalid_argument(r.field("in") + ": must be a channel count or a list [C, H, W] (got " + describe(*v) + ")");
    }
    for (const auto& d : *v) {
      if (!d.is_number_integer()) {
        invalid_argument(r.field("in") + ": must be a channel count or a list [C, H, W] of integers (got " +
                         describe(*v) + ")");
      }
      given.push_back(d.get<int64_t>());
    }
    check_image(given, r.field("in"));
  } else {
    given = {r.integer("in", std::nullopt, 1, kMaxDim)};
  }
  if (shape.empty()) return given;
  const bool agrees = given.size() == 1 ? given[0] == shape[0] : given == shape;
  if (!agrees) {
    const std::string what = given.size() == 1 && shape.size() == 3 ? std::string("channels ") + std::to_string(shape[0])
                                                                      : shape_text(shape);
    invalid_argument(r.field("in") + ": must equal " +
                     (first ? std::string("the task's input ") : std::string("the previous layer's output ")) + what +
                     " (got " + shape_text(given) + ")");
  }
  return shape;
}

// A positive (or, with min 0, non-negative) integer or a list [h, w] of them, at most 4096.
std::pair<int64_t, int64_t> read_pair(FieldReader& r, const std::string& key, std::optional<int64_t> fallback,
                                      int64_t min) {
  const auto v = r.raw(key);
  const std::string field = r.field(key);
  const auto bad = [&] {
    invalid_argument(field + ": must be " + (min == 0 ? "a non-negative" : "a positive") +
                     " integer or a list [h, w] of them, at most 4096 (got " +
                     (v ? describe(*v) : std::string("nothing")) + ")");
  };
  if (!v) {
    if (fallback) return {*fallback, *fallback};
    invalid_argument(field + ": is required");
  }
  const auto dim = [&](const json& x) -> int64_t {
    if (!x.is_number_integer() || x.get<int64_t>() < min || x.get<int64_t>() > 4096) bad();
    return x.get<int64_t>();
  };
  if (v->is_array()) {
    if (v->size() != 2) bad();
    return {dim((*v)[0]), dim((*v)[1])};
  }
  const int64_t k = dim(*v);
  return {k, k};
}

// The layer's own "representation" of its weight, when it gives one.
std::optional<Representation> read_layer_representation(FieldReader& r) {
  const auto v = r.raw("representation");
  if (!v) return std::nullopt;
  return parse_representation(*v, r.field("representation"));
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

const Representation& Architecture::representation_of(int tensor, const Representation& fallback) const {
  for (const auto& layer : layers) {
    for (const int t : layer.tensors) {
      if (t == tensor) return layer.representation ? *layer.representation : fallback;
    }
  }
  return fallback;
}

Architecture parse_architecture(const nlohmann::json& network, std::optional<int> input_size,
                                const std::string& path) {
  if (input_size && *input_size < 1) {
    invalid_argument(path + ": the task's input size must be positive (got " + std::to_string(*input_size) + ")");
  }
  return parse_architecture(network, input_size ? std::vector<int64_t>{*input_size} : std::vector<int64_t>{}, path);
}

Architecture parse_architecture(const nlohmann::json& network, const std::vector<int64_t>& input_shape,
                                const std::string& path) {
  if (!network.is_array() || network.empty()) {
    invalid_argument(path + ": must be a non-empty list of layers (got " + describe(network) + ")");
  }
  if (input_shape.size() > 3 || input_shape.size() == 2) {
    invalid_argument(path + ": the task's observation shape must be [n] or [C, H, W] (got " +
                     shape_text(input_shape) + ")");
  }
  check_image(input_shape, path + ": the task's observation shape");
  Builder b;
  std::vector<int64_t> shape = input_shape;  // what the next layer receives
  for (size_t i = 0; i < network.size(); ++i) {
    b.layer_path = path + "[" + std::to_string(i) + "]";
    FieldReader r(network[i], b.layer_path);
    const bool first = i == 0;
    LayerSpec layer;
    layer.type = r.string("type");
    layer.input_shape = shape;
    if (layer.type == "dense") {
      const int64_t in = read_flat_in(r, layer.type, shape, first);
      const int64_t out = r.integer("out", std::nullopt, 1, kMaxDim);
      layer.activation = read_activation(r);
      layer.representation = read_layer_representation(r);
      layer.tensors.push_back(b.add("weight", TensorKind::kDenseWeight, {out, in}, in));
      if (r.boolean("bias", true)) layer.tensors.push_back(b.add("bias", TensorKind::kBias, {out}, 1));
      layer.input_shape = {in};
      shape = {out};
    } else if (layer.type == "conv") {
      layer.input_shape = read_conv_in(r, shape, first);
      const int64_t in = layer.input_shape[0];
      const int64_t out = r.integer("out", std::nullopt, 1, kMaxDim);
      const auto [h, w] = read_pair(r, "kernel", std::nullopt, 1);
      std::tie(layer.stride_h, layer.stride_w) = read_pair(r, "stride", 1, 1);
      std::tie(layer.padding_h, layer.padding_w) = read_pair(r, "padding", 0, 0);
      layer.activation = read_activation(r);
      layer.representation = read_layer_representation(r);
      if (in * h * w > kMaxParameters) {  // before out * in * h * w could overflow
        invalid_argument(b.layer_path + ": a kernel of " + std::to_string(in) + "x" + std::to_string(h) + "x" +
                         std::to_string(w) + " values per output channel is more than " +
                         std::to_string(kMaxParameters));
      }
      layer.tensors.push_back(b.add("weight", TensorKind::kConvKernel, {out, in, h, w}, in * h * w));
      if (r.boolean("bias", true)) layer.tensors.push_back(b.add("bias", TensorKind::kBias, {out}, 1));
      shape = {out};
      if (layer.input_shape.size() == 3) {
        const int64_t ph = layer.input_shape[1] + 2 * layer.padding_h;
        const int64_t pw = layer.input_shape[2] + 2 * layer.padding_w;
        if (ph < h || pw < w) {
          invalid_argument(b.layer_path + ": the " + std::to_string(h) + "x" + std::to_string(w) +
                           " kernel does not fit its " + shape_text(layer.input_shape) + " input (padding " +
                           std::to_string(layer.padding_h) + "x" + std::to_string(layer.padding_w) + ")");
        }
        shape = {out, (ph - h) / layer.stride_h + 1, (pw - w) / layer.stride_w + 1};
        check_image(shape, b.layer_path);
      }
    } else if (layer.type == "flatten") {
      if (shape.empty()) invalid_argument(b.layer_path + ": flatten cannot be the first layer of a task without input");
      int64_t n = 1;
      for (const int64_t d : shape) n *= d;
      shape = {n};
    } else if (layer.type == "embedding") {
      const int64_t vocab = r.integer("vocab", std::nullopt, 1, kMaxDim);
      const int64_t dim = r.integer("dim", std::nullopt, 1, kMaxDim);
      layer.representation = read_layer_representation(r);
      layer.tensors.push_back(b.add("weight", TensorKind::kEmbedding, {vocab, dim}, dim));
      b.arch.tensors.back().rank_kind = RankKind::kEmbedding;
      shape = {dim};
    } else if (layer.type == "layer_norm") {
      const int64_t d = read_flat_in(r, layer.type, shape, first);
      layer.activation = read_activation(r);
      layer.tensors.push_back(b.add("scale", TensorKind::kNormScale, {d}, 1, false));
      layer.tensors.push_back(b.add("bias", TensorKind::kNormBias, {d}, 1, false));
      layer.input_shape = {d};
      shape = {d};
    } else if (layer.type == "bias") {
      const int64_t d = read_flat_in(r, layer.type, shape, first);
      layer.activation = read_activation(r);
      layer.tensors.push_back(b.add("bias", TensorKind::kBias, {d}, 1));
      layer.input_shape = {d};
      shape = {d};
    } else if (layer.type == "transformer") {
      if (network.size() != 1) {
        invalid_argument(r.field("type") + ": a transformer must be the network's only layer (the network has " +
                         std::to_string(network.size()) + ")");
      }
      add_transformer(r, b.arch, layer);
      shape = {};
    } else {
      invalid_argument(r.field("type") + ": unknown layer type '" + layer.type +
                       "' (expected dense, conv, flatten, embedding, layer_norm, bias or transformer)" +
                       did_you_mean(layer.type, {"dense", "conv", "flatten", "embedding", "layer_norm", "bias",
                                                 "transformer"}));
    }
    r.finish();
    layer.output_shape = shape;
    b.arch.layers.push_back(std::move(layer));
    if (b.arch.parameter_count() > kMaxParameters) {
      invalid_argument(path + ": more than " + std::to_string(kMaxParameters) + " parameters in total");
    }
  }
  return std::move(b.arch);
}

nlohmann::json Representation::to_json() const {
  if (type == Type::kDirect) return {{"type", "direct"}};
  if (type == Type::kLora) return {{"type", "lora"}, {"rank", rank}};
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
  } else if (type == "lora") {
    rep.type = Representation::Type::kLora;
    rep.rank = static_cast<int>(r.integer("rank", std::nullopt, 1, kMaxDim));
  } else {
    invalid_argument(r.field("type") + ": unknown representation '" + type + "' (expected direct, factorized or lora)" +
                     did_you_mean(type, {"direct", "factorized", "lora"}));
  }
  r.finish();
  return rep;
}

}  // namespace seedline::genome
