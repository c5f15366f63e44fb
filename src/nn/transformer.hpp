// The forward pass and loss of the decoder-only transformer of docs/language-models.md, in
// the manner of llm.c: one plain forward function per layer (shapes in the comments, with
// N tokens, C channels, NH heads, HD head size, F feed-forward width, V vocabulary) over
// activation buffers that a per-thread TransformerWorkspace preallocates; nothing is allocated
// per token or per sequence once the workspace has grown.
//
// Sequences are packed, not padded: the tokens of several sequences sit back to back in one
// (N x C) activation matrix, every linear layer runs once over all N rows (Eigen GEMM), and
// attention stays inside each sequence. Sequences of unequal length therefore cost nothing
// extra and cannot see each other.
//
// Forward of a fed sequence x_0..x_{T-1} (docs/language-models.md): e = embed[x]; per block
// e = LN1(e + O(attn(e))); e = LN2(e + FF2(act(FF1(e)))), attention causal and multi-head with
// rotary positions (rotate-half, base 10000, positions from 0) on q and k, scores scaled by
// 1/sqrt(HD); logits = e . embed^T + out.bias; the loss of position t is the cross-entropy of
// x_{t+1} under log-softmax(logits_t), in nats, for t = 0..T-2.
//
// Kernel versions (docs/kernels.md): TransformerWeights::kernel_version 1 runs the Eigen code
// (GEMMs, Eigen's exp and std::log), 2 the fixed-order kernels of src/kernels/ (GEMMs with a
// fixed fma order, attention vectorized over queries, the output projection fused with the
// log-softmax and the target pick), whose bits are the same on every instruction path.
// Embedding, rotary positions, layer norm and activations are the same code in both.
//
// Thread-safety: TransformerWeights are read-only and may be shared; each thread needs its own
// TransformerWorkspace. Failure: kInvalidArgument for a token id outside [0, V) or an empty
// sequence list entry (a sequence needs at least 2 tokens to predict one); nothing else throws,
// except the thread's stop check (util/stop_check.hpp), polled between passes, between blocks
// and every 256 query rows of attention, which the runner installs to stop a long forward.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nn/transformer_config.hpp"

namespace seedline::nn {

// y = x . W^T + bias for W (out x in, row-major): either dense, or factorized as W = A . B with
// A (out x rank) and B (rank x in), applied as (x . B^T) . A^T without forming W.
struct Linear {
  const float* weight = nullptr;  // dense W, or null when factorized
  const float* a = nullptr;       // factorized: A (out x rank)
  const float* b = nullptr;       // factorized: B (rank x in)
  const float* bias = nullptr;    // (out); required
  int64_t out = 0, in = 0, rank = 0;
};

struct TransformerBlockWeights {
  Linear q, k, v, o, ff1, ff2;
  const float* ln1_scale = nullptr;  // (C) each
  const float* ln1_bias = nullptr;
  const float* ln2_scale = nullptr;
  const float* ln2_bias = nullptr;
};

// Pointers into memory owned elsewhere (a genotype or phenotype) or into the owned vectors;
// move-only, because a copy's pointers would still point into the original's vectors.
struct TransformerWeights {
  TransformerWeights() = default;
  TransformerWeights(TransformerWeights&&) = default;
  TransformerWeights& operator=(TransformerWeights&&) = default;
  TransformerWeights(const TransformerWeights&) = delete;
  TransformerWeights& operator=(const TransformerWeights&) = delete;

  TransformerConfig config;
  // The evaluation arithmetic (kernels/version.hpp): 1 is the Eigen code below, 2 the
  // fixed-order kernels of src/kernels/ (the same bits on every x86-64 path).
  int kernel_version = 1;
  const float* embed = nullptr;     // (V x C), also the tied output matrix
  std::vector<TransformerBlockWeights> blocks;
  const float* out_bias = nullptr;  // (V)
  std::vector<float> owned;         // a developed embedding, fixed layer-norm values, ...
};

// Working memory of one thread, grown on demand and reused: activations of up to
// `token_budget` packed tokens plus a chunk of logits.
class TransformerWorkspace {
 public:
  TransformerWorkspace() = default;
  TransformerWorkspace(const TransformerWorkspace&) = delete;
  TransformerWorkspace& operator=(const TransformerWorkspace&) = delete;

  // Make room for `tokens` packed tokens (and positions < `tokens`) of a model with `config`
  // whose factorized weights have rank <= `rank`, computed at `kernel_version` (which picks
  // how the rotary table's angles are made: the C library's cos/sin before version 3,
  // kernels::sincos_fixed from it).
  void reserve(const TransformerConfig& config, int64_t tokens, int64_t rank, int kernel_version = 1);

  std::vector<float> x, q, k, v, att, proj, hidden, low, logits, scores;  // see transformer.cpp
  std::vector<int32_t> tokens;            // the fed tokens of one pass
  std::vector<int64_t> starts;            // their sequence boundaries, from 0
  std::vector<float> rope_cos, rope_sin;  // (positions x HD/2)
  int64_t rope_positions = 0, rope_head_dim = 0;
  bool rope_fixed = false;  // the table was made by sincos_fixed (kernel version >= 3)
  // Kernel versions >= 2 only (transformer_kernels.cpp): weights transposed and column-padded for
  // kernels::gemm, one head's rotated q^T / k / v, attention and loss scratch, per-row targets
  // and losses.
  std::vector<float> packed, head_q, head_k, head_v, kernel_scratch, tile;
  std::vector<int32_t> targets;
  std::vector<double> losses;
};

// Sequences to score, packed: sequence s is tokens[offsets[s] .. offsets[s+1]), each laid out
// as fed (<s> t_1 .. t_k </s>) with at least 2 tokens; the forward cuts each to the network's
// context (config.context tokens, when > 0).
struct PackedSequences {
  std::span<const int32_t> tokens;
  std::span<const int64_t> offsets;  // size = sequences + 1, offsets[0] == 0
};

struct LossSum {
  double nats = 0;         // summed cross-entropy over every predicted position
  int64_t predicted = 0;   // positions predicted: sum over sequences of (length - 1)
};

// Tokens per packed forward pass: large enough for efficient GEMMs, small enough that the
// activations stay in cache. A longer sequence is run alone.
inline constexpr int64_t kTokenBudget = 2048;

// The summed loss of every sequence; `per_sequence` (optional, size = sequences) receives each
// sequence's summed loss. Sequences are grouped in order into passes of <= kTokenBudget
// tokens; the sum is accumulated in double in sequence order, so the result does not depend
// on the thread that computes it.
LossSum transformer_loss(const TransformerWeights& weights, const PackedSequences& data, TransformerWorkspace& ws,
                         std::span<double> per_sequence = {});

// The logits (N x V) of every fed token, sequences in order (for tests and references).
std::vector<float> transformer_logits(const TransformerWeights& weights, const PackedSequences& data,
                                      TransformerWorkspace& ws);

}  // namespace seedline::nn
