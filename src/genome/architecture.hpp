// Architecture specs: the ordered list of named tensors a network is made of.
//
// Parsed from the `network` list of an experiment file (docs/experiments.md), for example
//   [{"type": "dense", "out": 32, "activation": "relu"}, {"type": "dense", "out": 2}]
// Layer types: dense (weight out x in, plus bias unless "bias": false), conv (kernel
// out x in x h x w, plus bias; stride and padding, default 1 and 0), flatten (no tensors),
// embedding (vocab x d), layer_norm (scale and bias of length d, fixed at 1 and 0, never
// evolved), bias (a lone bias vector). The input of the first layer comes from the task (its
// observation shape: {n} or {C, H, W}) or from the layer's own "in" field (function tasks).
// Each layer records the shape it receives and gives, so a conv stack on a C x H x W input
// knows its output size and a flatten before the dense layers gives C*H*W. A layer with
// weights may carry its own "representation", which overrides the condition's for its weight.
// Tensor names are "layers.<i>.weight" / "layers.<i>.bias" (layer norm: ".scale", ".bias");
// a transformer (the network's only layer) has the fixed names of docs/language-models.md
// ("embed.weight", ...).
//
// Pure functions and immutable values: safe from any thread.
// Failure: seedline::Error(kInvalidArgument) naming the field, e.g.
// "network[1].out: must be a positive integer, got -3".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nn/activation.hpp"
#include "nn/transformer_config.hpp"

namespace seedline::genome {

// Which rank of a factorized representation a weight takes (Representation::rank_for).
enum class RankKind { kDefault, kEmbedding, kAttention, kFeedForward };

// Per-tensor encoding of evolvable weights. Biases (and layer norm) are always direct, except
// that under lora a bias is frozen at its base value like the weight it belongs to.
struct Representation {
  enum class Type { kDirect, kFactorized, kLora };
  Type type = Type::kDirect;
  int rank = 0;                        // factorized and lora: k >= 1
  std::optional<int> embedding_rank;   // factorized: embeddings' own rank (default: rank)
  std::optional<int> attention_rank;   // factorized: transformer Q/K/V/O (default: rank)
  std::optional<int> ff_rank;          // factorized: transformer FF1/FF2 (default: rank)
  int rank_for(RankKind kind) const;
  nlohmann::json to_json() const;
};

enum class TensorKind { kDenseWeight, kBias, kConvKernel, kEmbedding, kNormScale, kNormBias };

struct TensorSpec {
  std::string name;            // e.g. "layers.0.weight"
  TensorKind kind = TensorKind::kDenseWeight;
  std::vector<int64_t> shape;  // dense (out, in); bias (out); conv (out, in, h, w); embedding (vocab, d); norm (d)
  int64_t fan_in = 1;          // dense: in; conv: in*h*w; embedding: d; bias and norm: unused
  bool evolvable = true;       // false for layer-norm scale/bias
  RankKind rank_kind = RankKind::kDefault;  // embeddings: kEmbedding; transformer Q/K/V/O, FF1/FF2
  int64_t size() const;        // product of shape
};

struct LayerSpec {
  std::string type;            // "dense" | "conv" | "flatten" | "embedding" | "layer_norm" | "bias" | "transformer"
  nn::Activation activation = nn::Activation::kLinear;
  std::vector<int> tensors;    // indices into Architecture::tensors (weight first, then bias)
  // What the layer receives and gives: {n} flat, {C, H, W} an image; empty when unknown (the
  // first layer of a function task without "in"). A conv whose input has no spatial size
  // (a flat {n} read as n channels) gives {out}: it can be counted but not run.
  std::vector<int64_t> input_shape;
  std::vector<int64_t> output_shape;
  // conv only: steps and zero padding per side, height then width. Default 1 and 0.
  int64_t stride_h = 1, stride_w = 1;
  int64_t padding_h = 0, padding_w = 0;
  // The layer's own representation of its weight ("representation" field), if any.
  std::optional<Representation> representation;
  nn::TransformerConfig transformer;  // type "transformer" only
};

struct Architecture {
  std::vector<TensorSpec> tensors;
  std::vector<LayerSpec> layers;
  int64_t parameter_count() const;  // phenotype size: sum of tensor sizes
  bool is_mlp() const;              // only dense layers (what nn::Mlp can run)
  bool is_transformer() const;      // one transformer layer (what nn::Transformer runs)
  // The representation of tensor `tensor`: its layer's own, else `fallback` (the
  // condition's). Biases and layer norm ignore it (always direct).
  const Representation& representation_of(int tensor, const Representation& fallback) const;
};

// `input_size`: the task's observation size, or nullopt when the first layer must give "in".
// `path` prefixes field names in errors.
Architecture parse_architecture(const nlohmann::json& network, std::optional<int> input_size,
                                const std::string& path = "network");
// The same with the task's observation shape: {n} (flat) or {C, H, W} (an image, for conv
// layers); empty when the first layer must give "in". Every dimension must be >= 1.
Architecture parse_architecture(const nlohmann::json& network, const std::vector<int64_t>& input_shape,
                                const std::string& path = "network");

// {"type": "direct"} | {"type": "factorized", "rank": k, "embedding_rank": r, "attention_rank": a,
// "ff_rank": f} | {"type": "lora", "rank": k} (frozen base weight + A.B, docs/genome.md). Unknown fields (e.g. a misspelt kind "mlp_rank") and types are errors naming
// the field.
Representation parse_representation(const nlohmann::json& j, const std::string& path = "representation");

}  // namespace seedline::genome
