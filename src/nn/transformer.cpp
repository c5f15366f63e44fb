// The transformer forward (nn/transformer.hpp): the public entry points, and kernel version 1,
// Eigen's code compiled for baseline x86-64, unchanged since the first releases. Kernel
// versions >= 2 run transformer_kernels.cpp; the pieces both share are transformer_internal.hpp.
#include "nn/transformer.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/kernels.hpp"
#include "kernels/version.hpp"
#include "nn/transformer_internal.hpp"
#include "util/error.hpp"
#include "util/stop_check.hpp"

namespace seedline::nn {
namespace {

using internal::fed_length;
using internal::for_each_pass;
using internal::gather_and_embed;
using internal::grow;
using internal::residual_layernorm_forward;

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapR = Eigen::Map<RowMat>;
using CMapR = Eigen::Map<const RowMat>;

// Rows of logits computed at once: 128 x V floats stay within a core's L2 cache for V ~ 2k.
constexpr int64_t kLogitRows = 128;

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

}  // namespace

// ---- Shared with the kernel forward (transformer_internal.hpp) -------------------------------

namespace internal {

void residual_layernorm_forward(float* x, const float* y, int64_t n, int64_t C, const float* scale,
                                const float* bias) {
  // Rows in groups of kGroup, interleaved so their serial float64 sums overlap in the core;
  // every row sees exactly the operations, in the order, of the one-row loop below.
  constexpr int64_t kGroup = 4;
  int64_t t = 0;
  for (; t + kGroup <= n; t += kGroup) {
    float* row = x + t * C;
    const float* add = y + t * C;
    double mean[kGroup] = {0, 0, 0, 0}, var[kGroup] = {0, 0, 0, 0}, inv[kGroup];
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t g = 0; g < kGroup; ++g) {
        row[g * C + c] += add[g * C + c];
        mean[g] += row[g * C + c];
      }
    }
    for (int64_t g = 0; g < kGroup; ++g) mean[g] /= static_cast<double>(C);
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t g = 0; g < kGroup; ++g) var[g] += (row[g * C + c] - mean[g]) * (row[g * C + c] - mean[g]);
    }
    for (int64_t g = 0; g < kGroup; ++g) inv[g] = 1.0 / std::sqrt(var[g] / static_cast<double>(C) + 1e-5);
    for (int64_t g = 0; g < kGroup; ++g) {
      for (int64_t c = 0; c < C; ++c) {
        row[g * C + c] = static_cast<float>((row[g * C + c] - mean[g]) * inv[g]) * scale[c] + bias[c];
      }
    }
  }
  for (; t < n; ++t) {
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
  ws.reserve(cfg, std::max(n, longest), max_rank(w), w.kernel_version);
  embedding_forward(ws.x.data(), ws.tokens.data(), n, w.embed, cfg.d_model);
  return n;
}

}  // namespace internal

namespace {

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

}  // namespace

void TransformerWorkspace::reserve(const TransformerConfig& c, int64_t n, int64_t rank, int kernel_version) {
  const int64_t H = c.heads * c.head_dim;
  grow(x, n * c.d_model);
  grow(proj, n * c.d_model);
  for (auto* buf : {&q, &k, &v, &att}) grow(*buf, n * H);
  grow(hidden, n * c.ff);
  grow(low, n * rank);
  grow(logits, kLogitRows * c.vocab);
  grow(scores, n);
  const int64_t half = c.head_dim / 2;
  const bool fixed = kernel_version >= 3;
  if (rope_head_dim != c.head_dim || rope_positions < n || rope_fixed != fixed) {
    // Angles in double, like the reference implementations, rounded once to float. Before
    // kernel version 3 from the C library's pow/cos/sin; from it by seedline's own
    // exp/log/sincos, so the table is the same bits on every machine (docs/kernels.md).
    rope_cos.assign(static_cast<size_t>(n * half), 0.0f);
    rope_sin.assign(static_cast<size_t>(n * half), 0.0f);
    for (int64_t i = 0; i < half; ++i) {
      const double exponent = -2.0 * static_cast<double>(i) / static_cast<double>(c.head_dim);
      const double theta =
          fixed ? kernels::exp_fixed(exponent * kernels::log_fixed(10000.0)) : std::pow(10000.0, exponent);
      for (int64_t p = 0; p < n; ++p) {
        const double angle = static_cast<double>(p) * theta;
        double sn = 0, cs = 0;
        if (fixed) {
          kernels::sincos_fixed(angle, &sn, &cs);
        } else {
          sn = std::sin(angle);
          cs = std::cos(angle);
        }
        rope_cos[static_cast<size_t>(p * half + i)] = static_cast<float>(cs);
        rope_sin[static_cast<size_t>(p * half + i)] = static_cast<float>(sn);
      }
    }
    rope_positions = n;
    rope_head_dim = c.head_dim;
    rope_fixed = fixed;
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
  if (w.kernel_version >= 2) return internal::loss_on_kernels(w, data, ws, per_sequence);
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
  if (w.kernel_version >= 2) return internal::logits_on_kernels(w, data, ws);
  for_each_pass(data, w.config.context, [&](size_t first, size_t last) {
    const int64_t n = trunk_forward(w, data, first, last, ws);
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(n * V));
    logits_forward(out.data() + at, ws.x.data(), n, w);
  });
  return out;
}

}  // namespace seedline::nn
