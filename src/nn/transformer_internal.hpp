// Internal to the transformer forward (src/nn/transformer.cpp, src/nn/transformer_kernels.cpp):
// the pieces both kernel families share (packing sequences into passes, gathering and embedding
// a pass, the residual + layer norm) and the entry points of the kernel-version >= 2 forward.
// Not part of the nn interface: include nn/transformer.hpp instead.
//
// Thread-safety: as nn/transformer.hpp: functions over the caller's workspace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "nn/transformer.hpp"
#include "util/stop_check.hpp"

namespace seedline::nn::internal {

inline void grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
}

// x (N, C) = LN(x + y) with LN(z) = (z - mean) / sqrt(var + 1e-5) * scale + bias, biased
// variance; moments in double. The same operations at every kernel version.
void residual_layernorm_forward(float* x, const float* y, int64_t n, int64_t C, const float* scale,
                                const float* bias);

// The fed length of sequence s: cut to the context when the network has one.
inline int64_t fed_length(const PackedSequences& data, size_t s, int64_t context) {
  const int64_t len = data.offsets[s + 1] - data.offsets[s];
  return context > 0 ? std::min(len, context) : len;
}

// Gathers the fed tokens of sequences [first, last) into ws.tokens (checking every id) with
// their local boundaries in ws.starts, reserves the workspace and embeds them into ws.x.
// Returns the number of packed tokens N.
int64_t gather_and_embed(const TransformerWeights& w, const PackedSequences& data, size_t first, size_t last,
                         TransformerWorkspace& ws);

// Calls fn(first, last) for consecutive groups of sequences of <= kTokenBudget fed tokens each
// (a longer sequence forms a group alone).
template <typename Fn>
void for_each_pass(const PackedSequences& data, int64_t context, Fn&& fn) {
  const size_t count = data.offsets.size() - 1;
  size_t first = 0;
  while (first < count) {
    poll_stop();
    int64_t tokens = fed_length(data, first, context);
    size_t last = first + 1;
    while (last < count && tokens + fed_length(data, last, context) <= kTokenBudget) {
      tokens += fed_length(data, last, context);
      ++last;
    }
    fn(first, last);
    first = last;
  }
}

// transformer_loss and transformer_logits at kernel version >= 2 (transformer_kernels.cpp);
// the arguments are checked by the public functions.
LossSum loss_on_kernels(const TransformerWeights& w, const PackedSequences& data, TransformerWorkspace& ws,
                        std::span<double> per_sequence);
std::vector<float> logits_on_kernels(const TransformerWeights& w, const PackedSequences& data,
                                     TransformerWorkspace& ws);

}  // namespace seedline::nn::internal
