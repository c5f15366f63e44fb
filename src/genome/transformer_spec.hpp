// The `transformer` layer of an experiment's network: its fields and the named tensors it
// expands into (docs/language-models.md), and the weights of one individual's transformer.
//
//   {"type": "transformer", "vocab": V, "d_model": C, "blocks": n, "heads": NH, "head_dim": HD,
//    "ff": F, "activation": "relu", "context": L}
// expands, in this order, into embed.weight (V x C); per block i: blocks.i.attn.q|k|v.weight
// (NH*HD x C) and .bias, blocks.i.attn.o.weight (C x NH*HD) and .bias, blocks.i.ln1.scale|bias
// (C, fixed), blocks.i.ff1.weight (F x C) and .bias, blocks.i.ff2.weight (C x F) and .bias,
// blocks.i.ln2.scale|bias (C, fixed); then out.bias (V). Embedding, attention and feed-forward
// weights take the representation's embedding_rank, attention_rank and ff_rank.
//
// Pure functions: safe from any thread. Failure: kInvalidArgument naming the field, e.g.
// "network[0].head_dim: must be even (rotary positions pair dimension i with i + HD/2), got 5".
#pragma once

#include <span>

#include "genome/architecture.hpp"
#include "genome/genome.hpp"
#include "nn/transformer.hpp"
#include "util/json_fields.hpp"

namespace seedline::genome {

// Reads the transformer's fields from `r` into `layer` and appends its tensors to `arch`.
void add_transformer(FieldReader& r, Architecture& arch, LayerSpec& layer);

// The weights of `genome`'s transformer for one genotype: direct weights point into the
// genotype, factorized ones keep their factors A and B (applied as (x.B^T).A^T), and a
// factorized embedding is developed (the lookup and the tied output need every row). Under
// lora the whole phenotype (base + A.B) is developed into the result and read from there.
// `genotype` must outlive the result. Throws kInvalidArgument when the genome is not a
// transformer or the genotype has the wrong size.
nn::TransformerWeights transformer_weights(const Genome& genome, std::span<const float> genotype);

}  // namespace seedline::genome
