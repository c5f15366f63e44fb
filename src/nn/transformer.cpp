#include "nn/transformer.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/kernels.hpp"
#include "kernels/version.hpp"
#include "util/error.hpp"
#include "util/stop_check.hpp"

namespace seedline::nn {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapR = Eigen::Map<RowMat>;
using CMapR = Eigen::Map<const RowMat>;

// Rows of logits computed at once: 128 x V floats stay within a core's L2 cache for V ~ 2k.
constexpr int64_t kLogitRows = 128;

void grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
}

int64_t max_rank(const TransformerWeights& w) {
  int64_t r = 1;
  for (const auto& b : w.blocks) {
    for (const Linear* l : {&b.q, &b.k, &b.v, &b.o, &b.ff1, &b.ff2}) r = std::max(r, l->rank);
  }
  return r;
}

// out (N, C) = embed[tokens]; embed (V, C).
void embedding_forward(float* out, const int32_t* tokens, int64_t n, const float* embed, int64_t C) {
  for (int64_t t = 0; t < n; ++t) std::copy_n(embed + tokens[t] * C, C, out + t * C);
}

// out (N, OUT) = in (N, IN) . W^T + bias, W dense (OUT, IN) or A (OUT, R) . B (R, IN);
// low (N, R) is scratch for the factorized path.
void linear_forward(float* out, const float* in, int64_t n, const Linear& l, float* low) {
  const CMapR x(in, n, l.in);
  MapR y(out, n, l.out);
  if (l.weight != nullptr) {
    y.noalias() = x * CMapR(l.weight, l.out, l.in).transpose();
  } else {
    MapR tmp(low, n, l.rank);
    tmp.noalias() = x * CMapR(l.b, l.rank, l.in).transpose();
    y.noalias() = tmp * CMapR(l.a, l.out, l.rank).transpose();
  }
  y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(l.bias, l.out);
}

// In place on qk (T, NH*HD), the rows of one sequence at positions 0..T-1: each head's pair
// (i, i + HD/2) is rotated by the angle p * 10000^(-2i/HD). cos/sin are (positions, HD/2).
void rotary_forward(float* qk, int64_t T, int64_t NH, int64_t HD, const float* cos, const float* sin) {
  const int64_t half = HD / 2;
  for (int64_t p = 0; p < T; ++p) {
    const float* c = cos + p * half;
    const float* s = sin + p * half;
    for (int64_t h = 0; h < NH; ++h) {
      float* x = qk + (p * NH + h) * HD;
      for (int64_t i = 0; i < half; ++i) {
        const float x1 = x[i], x2 = x[i + half];
        x[i] = x1 * c[i] - x2 * s[i];
        x[i + half] = x2 * c[i] + x1 * s[i];
      }
    }
  }
}

// Query rows of attention between two stop polls (util/stop_check.hpp): a poll reads a
// thread-local pointer; 256 rows of a 100,000-token sequence take milliseconds.
constexpr int64_t kStopPollRows = 256;

// out (T, NH*HD) = causal softmax(q . k^T / sqrt(HD)) . v per head, for one sequence whose
// q, k, v are (T, NH*HD); scores (T) is scratch.
void attention_forward(float* out, const float* q, const float* k, const float* v, int64_t T, int64_t NH, int64_t HD,
                       float* scores) {
  const int64_t H = NH * HD;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HD));
  for (int64_t h = 0; h < NH; ++h) {
    for (int64_t t = 0; t < T; ++t) {
      // A long sequence's attention is quadratic (minutes at 100,000 tokens): let a stop in.
      if (t % kStopPollRows == 0) poll_stop();
      const float* qt = q + t * H + h * HD;
      float max = -INFINITY;
      for (int64_t j = 0; j <= t; ++j) {
        const float* kj = k + j * H + h * HD;
        float dot = 0;
        for (int64_t i = 0; i < HD; ++i) dot += qt[i] * kj[i];
        scores[j] = dot * scale;
        max = std::max(max, scores[j]);
      }
      // Eigen's vectorized exp: the scalar one dominated the whole forward pass at HD = 4.
      Eigen::Map<Eigen::ArrayXf> row(scores, t + 1);
      row = (row - max).exp();
      const float inv = 1.0f / row.sum();
      float* ot = out + t * H + h * HD;
      std::fill_n(ot, HD, 0.0f);
      for (int64_t j = 0; j <= t; ++j) {
        const float* vj = v + j * H + h * HD;
        const float p = scores[j] * inv;
        for (int64_t i = 0; i < HD; ++i) ot[i] += p * vj[i];
      }
    }
  }
}

// x (N, C) = LN(x + y) with LN(z) = (z - mean) / sqrt(var + 1e-5) * scale + bias, biased
// variance; moments in double.
void residual_layernorm_forward(float* x, const float* y, int64_t n, int64_t C, const float* scale,
                                const float* bias) {
  for (int64_t t = 0; t < n; ++t) {
    float* row = x + t * C;
    const float* add = y + t * C;
    double mean = 0;
    for (int64_t c = 0; c < C; ++c) {
      row[c] += add[c];
      mean += row[c];
    }
    mean /= static_cast<double>(C);
    double var = 0;
    for (int64_t c = 0; c < C; ++c) var += (row[c] - mean) * (row[c] - mean);
    var /= static_cast<double>(C);
    const double inv = 1.0 / std::sqrt(var + 1e-5);
    for (int64_t c = 0; c < C; ++c) {
      row[c] = static_cast<float>((row[c] - mean) * inv) * scale[c] + bias[c];
    }
  }
}

// One block over the packed batch x (N, C); `starts` holds the sequence boundaries (from 0).
void block_forward(const TransformerWeights& w, const TransformerBlockWeights& b, std::span<const int64_t> starts,
                   int64_t n, TransformerWorkspace& ws) {
  const auto& cfg = w.config;
  const int64_t C = cfg.d_model, NH = cfg.heads, HD = cfg.head_dim, H = NH * HD;
  linear_forward(ws.q.data(), ws.x.data(), n, b.q, ws.low.data());
  linear_forward(ws.k.data(), ws.x.data(), n, b.k, ws.low.data());
  linear_forward(ws.v.data(), ws.x.data(), n, b.v, ws.low.data());
  for (size_t s = 0; s + 1 < starts.size(); ++s) {
    const int64_t at = starts[s], T = starts[s + 1] - starts[s];
    rotary_forward(ws.q.data() + at * H, T, NH, HD, ws.rope_cos.data(), ws.rope_sin.data());
    rotary_forward(ws.k.data() + at * H, T, NH, HD, ws.rope_cos.data(), ws.rope_sin.data());
    attention_forward(ws.att.data() + at * H, ws.q.data() + at * H, ws.k.data() + at * H, ws.v.data() + at * H, T,
                      NH, HD, ws.scores.data());
  }
  linear_forward(ws.proj.data(), ws.att.data(), n, b.o, ws.low.data());
  residual_layernorm_forward(ws.x.data(), ws.proj.data(), n, C, b.ln1_scale, b.ln1_bias);
  linear_forward(ws.hidden.data(), ws.x.data(), n, b.ff1, ws.low.data());
  Eigen::Map<Eigen::VectorXf> hidden(ws.hidden.data(), n * cfg.ff);
  apply_activation(cfg.activation, hidden);
  linear_forward(ws.proj.data(), ws.hidden.data(), n, b.ff2, ws.low.data());
  residual_layernorm_forward(ws.x.data(), ws.proj.data(), n, C, b.ln2_scale, b.ln2_bias);
}

// The fed length of sequence s: cut to the context when the network has one.
int64_t fed_length(const PackedSequences& data, size_t s, int64_t context) {
  const int64_t len = data.offsets[s + 1] - data.offsets[s];
  return context > 0 ? std::min(len, context) : len;
}

// Gathers the fed tokens of sequences [first, last) into ws.tokens (checking every id) with
// their local boundaries in ws.starts, reserves the workspace and embeds them into ws.x.
// Returns the number of packed tokens N.
int64_t gather_and_embed(const TransformerWeights& w, const PackedSequences& data, size_t first, size_t last,
                         TransformerWorkspace& ws) {
  const auto& cfg = w.config;
  ws.tokens.clear();
  ws.starts.assign(1, 0);
  int64_t longest = 0;
  for (size_t s = first; s < last; ++s) {
    const int64_t len = fed_length(data, s, cfg.context);
    longest = std::max(longest, len);
    const int32_t* seq = data.tokens.data() + data.offsets[s];
    for (int64_t t = 0; t < len; ++t) {
      if (seq[t] < 0 || seq[t] >= cfg.vocab) {
        invalid_argument("sequence " + std::to_string(s) + ": token id " + std::to_string(seq[t]) +
                         " is outside the vocabulary [0, " + std::to_string(cfg.vocab) + ")");
      }
    }
    ws.tokens.insert(ws.tokens.end(), seq, seq + len);
    ws.starts.push_back(static_cast<int64_t>(ws.tokens.size()));
  }
  const auto n = static_cast<int64_t>(ws.tokens.size());
  ws.reserve(cfg, std::max(n, longest), max_rank(w));
  embedding_forward(ws.x.data(), ws.tokens.data(), n, w.embed, cfg.d_model);
  return n;
}

// Version 1: embedding + blocks over sequences [first, last) into ws.x; returns N.
int64_t trunk_forward(const TransformerWeights& w, const PackedSequences& data, size_t first, size_t last,
                      TransformerWorkspace& ws) {
  const int64_t n = gather_and_embed(w, data, first, last, ws);
  for (const auto& b : w.blocks) {
    poll_stop();
    block_forward(w, b, ws.starts, n, ws);
  }
  return n;
}

// logits (rows, V) = x (rows, C) . embed^T + out_bias.
void logits_forward(float* logits, const float* x, int64_t rows, const TransformerWeights& w) {
  const int64_t V = w.config.vocab, C = w.config.d_model;
  MapR out(logits, rows, V);
  out.noalias() = CMapR(x, rows, C) * CMapR(w.embed, V, C).transpose();
  out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(w.out_bias, V);
}

// -log softmax(logits)[target] of one row of V logits, in nats.
double cross_entropy(const float* logits, int64_t V, int32_t target) {
  const Eigen::Map<const Eigen::ArrayXf> l(logits, V);
  const float max = l.maxCoeff();
  const float sum = (l - max).exp().sum();
  return static_cast<double>(max) + std::log(static_cast<double>(sum)) - static_cast<double>(logits[target]);
}

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

void check_packed(const PackedSequences& data) {
  if (data.offsets.empty() || data.offsets[0] != 0 ||
      data.offsets.back() != static_cast<int64_t>(data.tokens.size())) {
    invalid_argument("packed sequences: offsets must start at 0 and end at the token count");
  }
  for (size_t s = 0; s + 1 < data.offsets.size(); ++s) {
    if (data.offsets[s + 1] - data.offsets[s] < 2) {
      invalid_argument("packed sequences: sequence " + std::to_string(s) + " has fewer than 2 tokens");
    }
  }
}

// ---- Kernel version 2 (docs/kernels.md): the fixed-order kernels of src/kernels/. ----------

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

void TransformerWorkspace::reserve(const TransformerConfig& c, int64_t n, int64_t rank) {
  const int64_t H = c.heads * c.head_dim;
  grow(x, n * c.d_model);
  grow(proj, n * c.d_model);
  for (auto* buf : {&q, &k, &v, &att}) grow(*buf, n * H);
  grow(hidden, n * c.ff);
  grow(low, n * rank);
  grow(logits, kLogitRows * c.vocab);
  grow(scores, n);
  const int64_t half = c.head_dim / 2;
  if (rope_head_dim != c.head_dim || rope_positions < n) {
    // Angles in double, like the reference implementations, rounded once to float.
    rope_cos.assign(static_cast<size_t>(n * half), 0.0f);
    rope_sin.assign(static_cast<size_t>(n * half), 0.0f);
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t i = 0; i < half; ++i) {
        const double theta = std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(c.head_dim));
        const double angle = static_cast<double>(p) * theta;
        rope_cos[static_cast<size_t>(p * half + i)] = static_cast<float>(std::cos(angle));
        rope_sin[static_cast<size_t>(p * half + i)] = static_cast<float>(std::sin(angle));
      }
    }
    rope_positions = n;
    rope_head_dim = c.head_dim;
  }
}

LossSum transformer_loss(const TransformerWeights& w, const PackedSequences& data, TransformerWorkspace& ws,
                         std::span<double> per_sequence) {
  check_packed(data);
  const size_t count = data.offsets.size() - 1;
  if (!per_sequence.empty() && per_sequence.size() != count) {
    invalid_argument("transformer_loss: per_sequence has " + std::to_string(per_sequence.size()) +
                     " entries for " + std::to_string(count) + " sequences");
  }
  std::fill(per_sequence.begin(), per_sequence.end(), 0.0);
  LossSum total;
  const int64_t V = w.config.vocab, C = w.config.d_model;
  kernels::require_supported(w.kernel_version);
  if (w.kernel_version >= 2) {
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
  for_each_pass(data, w.config.context, [&](size_t first, size_t last) {
    const int64_t n = trunk_forward(w, data, first, last, ws);
    size_t seq = 0;  // local index into ws.starts
    for (int64_t r0 = 0; r0 < n; r0 += kLogitRows) {
      const int64_t rows = std::min(kLogitRows, n - r0);
      logits_forward(ws.logits.data(), ws.x.data() + r0 * C, rows, w);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t t = r0 + r;
        while (t >= ws.starts[seq + 1]) ++seq;
        if (t + 1 == ws.starts[seq + 1]) continue;  // a sequence's last token predicts nothing
        const double loss = cross_entropy(ws.logits.data() + r * V, V, ws.tokens[static_cast<size_t>(t + 1)]);
        total.nats += loss;
        total.predicted += 1;
        if (!per_sequence.empty()) per_sequence[first + seq] += loss;
      }
    }
  });
  return total;
}

std::vector<float> transformer_logits(const TransformerWeights& w, const PackedSequences& data,
                                      TransformerWorkspace& ws) {
  check_packed(data);
  const int64_t V = w.config.vocab;
  std::vector<float> out;
  kernels::require_supported(w.kernel_version);
  if (w.kernel_version >= 2) {
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
  for_each_pass(data, w.config.context, [&](size_t first, size_t last) {
    const int64_t n = trunk_forward(w, data, first, last, ws);
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(n * V));
    logits_forward(out.data() + at, ws.x.data(), n, w);
  });
  return out;
}

}  // namespace seedline::nn
