// The transformer forward at kernel versions >= 2 (docs/kernels.md): the fixed-order kernels of
// src/kernels/ for the GEMMs, attention and the fused output projection + log-softmax, so a
// loss is the same bits on every instruction path and x86-64 machine. Version 1 (Eigen) is
// transformer.cpp; both share transformer_internal.hpp. Version 3 computes here exactly as
// version 2; what it changes is made before the forward (the rotary table, a factorized
// embedding: TransformerWorkspace::reserve, genome/transformer_spec.cpp).
//
// Thread-safety: as nn/transformer.hpp: functions over the caller's workspace.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "kernels/kernels.hpp"
#include "nn/activation.hpp"
#include "nn/transformer_internal.hpp"
#include "util/stop_check.hpp"

namespace seedline::nn::internal {
namespace {

// A Linear transposed and column-padded for kernels::gemm: offsets into ws.packed.
struct PackedLinear {
  int64_t wt = 0, ldw = 0;  // direct: W^T (in x ldw); factorized: A^T (rank x ldw)
  int64_t bt = 0, ldb = 0;  // factorized: B^T (in x ldb)
  int64_t bias = 0;         // (ldw), zero-padded
  int64_t out = 0, in = 0, rank = 0;
  bool factorized = false;
};

struct PackedBlock {
  PackedLinear q, k, v, o, ff1, ff2;
};

struct PackedModel {
  std::vector<PackedBlock> blocks;
  int64_t embed_t = 0, ld_vocab = 0, out_bias = 0;  // embed^T (C x ld_vocab) and the padded bias
};

// Appends m^T (cols x padded(rows), zero padding) of the row-major m (rows x cols); returns its offset.
int64_t append_transposed(std::vector<float>& buf, const float* m, int64_t rows, int64_t cols) {
  const int64_t ld = kernels::padded(rows);
  const auto at = static_cast<int64_t>(buf.size());
  buf.resize(static_cast<size_t>(at + cols * ld), 0.0f);
  float* dst = buf.data() + at;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[c * ld + r] = m[r * cols + c];
  }
  return at;
}

int64_t append_padded(std::vector<float>& buf, const float* v, int64_t n) {
  const auto at = static_cast<int64_t>(buf.size());
  buf.resize(static_cast<size_t>(at + kernels::padded(n)), 0.0f);
  std::copy_n(v, n, buf.begin() + at);
  return at;
}

PackedLinear pack_linear(std::vector<float>& buf, const Linear& l) {
  PackedLinear p;
  p.out = l.out;
  p.in = l.in;
  p.rank = l.rank;
  p.ldw = kernels::padded(l.out);
  if (l.weight != nullptr) {
    p.wt = append_transposed(buf, l.weight, l.out, l.in);
  } else {
    p.factorized = true;
    p.wt = append_transposed(buf, l.a, l.out, l.rank);
    p.bt = append_transposed(buf, l.b, l.rank, l.in);
    p.ldb = kernels::padded(l.rank);
  }
  p.bias = append_padded(buf, l.bias, l.out);
  return p;
}

// Packs every weight of `w` into ws.packed (a few hundred KB at most; redone per call, which
// costs well under 1 % of a pass).
PackedModel pack_model(const TransformerWeights& w, TransformerWorkspace& ws) {
  PackedModel m;
  ws.packed.clear();
  for (const auto& b : w.blocks) {
    m.blocks.push_back({pack_linear(ws.packed, b.q), pack_linear(ws.packed, b.k), pack_linear(ws.packed, b.v),
                        pack_linear(ws.packed, b.o), pack_linear(ws.packed, b.ff1), pack_linear(ws.packed, b.ff2)});
  }
  m.ld_vocab = kernels::padded(w.config.vocab);
  m.embed_t = append_transposed(ws.packed, w.embed, w.config.vocab, w.config.d_model);
  m.out_bias = append_padded(ws.packed, w.out_bias, w.config.vocab);
  return m;
}

// out (n, OUT) = in (n, IN) . W^T + bias through kernels::gemm; factorized: (in . B^T) . A^T
// with `low` (n, rank) between.
void linear_v2(float* out, const float* in, int64_t n, const PackedLinear& l, const float* packed, float* low) {
  if (!l.factorized) {
    kernels::gemm(in, l.in, n, l.in, packed + l.wt, l.ldw, l.out, packed + l.bias, out, l.out);
  } else {
    kernels::gemm(in, l.in, n, l.in, packed + l.bt, l.ldb, l.rank, nullptr, low, l.rank);
    kernels::gemm(low, l.rank, n, l.rank, packed + l.wt, l.ldw, l.out, packed + l.bias, out, l.out);
  }
}

// Causal multi-head attention of one sequence (rows [at, at + T) of q, k, v, att): per head,
// q^T, k and v with rotary positions applied (the version-1 rotation, elementwise), then
// kernels::attention_head.
void attention_v2(const TransformerConfig& cfg, int64_t at, int64_t T, TransformerWorkspace& ws) {
  const int64_t NH = cfg.heads, HD = cfg.head_dim, H = NH * HD, half = HD / 2;
  const int64_t ldq = kernels::padded(T);
  grow(ws.head_q, HD * ldq);
  grow(ws.head_k, T * HD);
  grow(ws.head_v, T * HD);
  grow(ws.kernel_scratch, T * kernels::kPad);
  const float scale = 1.0f / std::sqrt(static_cast<float>(HD));
  float* qt = ws.head_q.data();
  float* kh = ws.head_k.data();
  float* vh = ws.head_v.data();
  for (int64_t h = 0; h < NH; ++h) {
    // One head of a long sequence is quadratic work in one kernel call: let a stop in between.
    poll_stop();
    std::fill_n(qt, HD * ldq, 0.0f);
    for (int64_t t = 0; t < T; ++t) {
      const float* q = ws.q.data() + (at + t) * H + h * HD;
      const float* k = ws.k.data() + (at + t) * H + h * HD;
      const float* v = ws.v.data() + (at + t) * H + h * HD;
      const float* c = ws.rope_cos.data() + t * half;
      const float* s = ws.rope_sin.data() + t * half;
      for (int64_t i = 0; i < half; ++i) {
        qt[i * ldq + t] = q[i] * c[i] - q[i + half] * s[i];
        qt[(i + half) * ldq + t] = q[i + half] * c[i] + q[i] * s[i];
        kh[t * HD + i] = k[i] * c[i] - k[i + half] * s[i];
        kh[t * HD + i + half] = k[i + half] * c[i] + k[i] * s[i];
      }
      std::copy_n(v, HD, vh + t * HD);
    }
    kernels::attention_head(qt, ldq, kh, vh, T, HD, scale, ws.kernel_scratch.data(), ws.att.data() + at * H + h * HD,
                            H);
  }
}

void block_forward_v2(const TransformerWeights& w, const TransformerBlockWeights& b, const PackedBlock& p, int64_t n,
                      TransformerWorkspace& ws) {
  const auto& cfg = w.config;
  const int64_t C = cfg.d_model;
  const float* packed = ws.packed.data();
  linear_v2(ws.q.data(), ws.x.data(), n, p.q, packed, ws.low.data());
  linear_v2(ws.k.data(), ws.x.data(), n, p.k, packed, ws.low.data());
  linear_v2(ws.v.data(), ws.x.data(), n, p.v, packed, ws.low.data());
  for (size_t s = 0; s + 1 < ws.starts.size(); ++s) {
    attention_v2(cfg, ws.starts[s], ws.starts[s + 1] - ws.starts[s], ws);
  }
  linear_v2(ws.proj.data(), ws.att.data(), n, p.o, packed, ws.low.data());
  residual_layernorm_forward(ws.x.data(), ws.proj.data(), n, C, b.ln1_scale, b.ln1_bias);
  linear_v2(ws.hidden.data(), ws.x.data(), n, p.ff1, packed, ws.low.data());
  Eigen::Map<Eigen::VectorXf> hidden(ws.hidden.data(), n * cfg.ff);
  apply_activation(cfg.activation, hidden);
  linear_v2(ws.proj.data(), ws.hidden.data(), n, p.ff2, packed, ws.low.data());
  residual_layernorm_forward(ws.x.data(), ws.proj.data(), n, C, b.ln2_scale, b.ln2_bias);
}

int64_t trunk_forward_v2(const TransformerWeights& w, const PackedModel& pm, const PackedSequences& data, size_t first,
                         size_t last, TransformerWorkspace& ws) {
  const int64_t n = gather_and_embed(w, data, first, last, ws);
  for (size_t i = 0; i < w.blocks.size(); ++i) {
    poll_stop();
    block_forward_v2(w, w.blocks[i], pm.blocks[i], n, ws);
  }
  return n;
}

}  // namespace

LossSum loss_on_kernels(const TransformerWeights& w, const PackedSequences& data, TransformerWorkspace& ws,
                        std::span<double> per_sequence) {
  LossSum total;
  const int64_t V = w.config.vocab, C = w.config.d_model;
  const PackedModel pm = pack_model(w, ws);
  grow(ws.tile, kernels::kLossRows * pm.ld_vocab);
  for_each_pass(data, w.config.context, [&](size_t first, size_t last) {
    const int64_t n = trunk_forward_v2(w, pm, data, first, last, ws);
    // Each row's target: the next token of its sequence; -1 for a sequence's last token.
    ws.targets.assign(static_cast<size_t>(n), -1);
    for (size_t s = 0; s + 1 < ws.starts.size(); ++s) {
      for (int64_t t = ws.starts[s]; t + 1 < ws.starts[s + 1]; ++t) {
        ws.targets[static_cast<size_t>(t)] = ws.tokens[static_cast<size_t>(t + 1)];
      }
    }
    ws.losses.resize(static_cast<size_t>(n));
    kernels::loss_rows(ws.x.data(), C, n, C, ws.packed.data() + pm.embed_t, pm.ld_vocab, V,
                       ws.packed.data() + pm.out_bias, ws.targets.data(), ws.tile.data(), ws.losses.data());
    for (size_t s = 0; s + 1 < ws.starts.size(); ++s) {
      for (int64_t t = ws.starts[s]; t + 1 < ws.starts[s + 1]; ++t) {
        const double loss = ws.losses[static_cast<size_t>(t)];
        total.nats += loss;
        total.predicted += 1;
        if (!per_sequence.empty()) per_sequence[first + s] += loss;
      }
    }
  });
  return total;
}

std::vector<float> logits_on_kernels(const TransformerWeights& w, const PackedSequences& data,
                                     TransformerWorkspace& ws) {
  const int64_t V = w.config.vocab;
  std::vector<float> out;
  const PackedModel pm = pack_model(w, ws);
  for_each_pass(data, w.config.context, [&](size_t first, size_t last) {
    const int64_t n = trunk_forward_v2(w, pm, data, first, last, ws);
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(n * V));
    kernels::gemm(ws.x.data(), w.config.d_model, n, w.config.d_model, ws.packed.data() + pm.embed_t, pm.ld_vocab, V,
                  ws.packed.data() + pm.out_bias, out.data() + at, V);
  });
  return out;
}

}  // namespace seedline::nn::internal
