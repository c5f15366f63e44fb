// The hyperparameters of a decoder-only transformer (docs/language-models.md): a plain value,
// safe from any thread; validation happens where it is parsed (genome/transformer_spec.cpp).
#pragma once

#include <cstdint>

#include "nn/activation.hpp"

namespace seedline::nn {

struct TransformerConfig {
  int64_t vocab = 0;     // V, including the 3 special tokens <unk> <s> </s>
  int64_t d_model = 0;   // C
  int64_t blocks = 0;
  int64_t heads = 0;     // NH
  int64_t head_dim = 0;  // HD (even: rotary positions pair dimension i with i + HD/2)
  int64_t ff = 0;        // F
  Activation activation = Activation::kRelu;
  int64_t context = 0;   // 0: sequences are never cut; else at most this many tokens fed
};

// Token ids of the vocabulary layout: BPE token t is fed as t + kFirstBpeToken.
inline constexpr int32_t kUnknownToken = 0;
inline constexpr int32_t kStartToken = 1;
inline constexpr int32_t kEndToken = 2;
inline constexpr int32_t kFirstBpeToken = 3;

}  // namespace seedline::nn
