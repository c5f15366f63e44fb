#include "es/update.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "es/shaping.hpp"
#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::es {
namespace {

// Full blocks are split into chunks of this many elements: each chunk is one work item, its
// noise regenerated per perturbation into a buffer that stays in L1/L2.
constexpr size_t kChunk = 8192;
// Low-rank blocks: one work item is kRowBlock rows; each strip of 16 columns of B read from
// memory serves all of them, 4 rows at a time with their sums in registers.
constexpr int64_t kRowBlock = 32;

void check_size(const char* what, size_t got, size_t expected) {
  if (got != expected) {
    invalid_argument(std::string("es update: ") + what + " has " + std::to_string(got) + " values; expected " +
                     std::to_string(expected));
  }
}

// acc[k] = acc[k] + w * x[k]. Each element's operations are the same whatever the vector
// width, so every clone gives the same bits (IEEE multiply and add; -ffp-contract=off and
// none of the targets implies FMA).
__attribute__((target_clones("avx512f", "avx2", "default"))) void axpy(float* acc, const float* x, float w,
                                                                        size_t n) {
  for (size_t k = 0; k < n; ++k) acc[k] = acc[k] + w * x[k];
}

// Eight float lanes (GCC vector extension): every lane takes IEEE multiplies and adds, each
// rounded once, as the scalar code would.
typedef float Lanes8 __attribute__((vector_size(32)));

constexpr int64_t kStrip = 16;  // columns of B per register strip

// The members' low-rank factors of one block: A_p, and B_p laid out for lowrank_rows: the
// columns in strips of kStrip, strip-major (strip s, then perturbation p, then t: kStrip
// consecutive floats B_p[s kStrip + l][t]), then the last cols % kStrip columns as
// (p, t, column). P perturbations.
struct BlockFactors {
  std::vector<float> a;  // P x rows x rank
  std::vector<float> b;  // P x rank x cols, in the layout above
  int64_t strips = 0, tail = 0;
};

// g[j][k] (row stride ld) = scale * (sum over q < nq, in order, of coef[q][j] * B_q[k]) for
// j < rows (<= kRowBlock), k < cols, where term q = (member i, t) reads column t of its
// perturbation's B (qoff[q] = p * rank + t). Each sum starts at +0 and adds the products (a
// float multiply, then a float add) in q order, as axpy did, so every clone gives the same
// bits. coef is nq x kRowBlock (zeros past `rows`). Strips of 16 columns x 4 rows keep their
// sums in registers over the whole q loop, reading B strip-major (pr = P * rank entries of
// kStrip floats per strip); the tail columns run scalar.
__attribute__((target_clones("avx512f", "avx2", "default"))) void lowrank_rows(
    const float* coef, const BlockFactors& f, const int64_t* qoff, int64_t nq, int64_t pr, int64_t rows, float scale,
    float* g, int64_t ld) {
  for (int64_t s = 0; s < f.strips; ++s) {
    const float* strip = f.b.data() + s * pr * kStrip;
    for (int64_t j0 = 0; j0 < rows; j0 += 4) {
      Lanes8 sum[4][2] = {};
      for (int64_t q = 0; q < nq; ++q) {
        Lanes8 b0, b1;
        std::memcpy(&b0, strip + qoff[q] * kStrip, sizeof b0);
        std::memcpy(&b1, strip + qoff[q] * kStrip + 8, sizeof b1);
        const float* c = coef + q * kRowBlock + j0;
        for (int jj = 0; jj < 4; ++jj) {
          sum[jj][0] = sum[jj][0] + c[jj] * b0;
          sum[jj][1] = sum[jj][1] + c[jj] * b1;
        }
      }
      for (int64_t jj = 0; jj < 4 && j0 + jj < rows; ++jj) {
        const Lanes8 g0 = sum[jj][0] * scale, g1 = sum[jj][1] * scale;
        std::memcpy(g + (j0 + jj) * ld + s * kStrip, &g0, sizeof g0);
        std::memcpy(g + (j0 + jj) * ld + s * kStrip + 8, &g1, sizeof g1);
      }
    }
  }
  const float* tail = f.b.data() + f.strips * pr * kStrip;
  for (int64_t kt = 0; kt < f.tail; ++kt) {
    for (int64_t j = 0; j < rows; ++j) {
      float sum = 0.0f;
      for (int64_t q = 0; q < nq; ++q) sum = sum + coef[q * kRowBlock + j] * tail[qoff[q] * f.tail + kt];
      g[j * ld + f.strips * kStrip + kt] = sum * scale;
    }
  }
}

BlockFactors block_factors(const Perturbation& perturbation, const BlockPerturbation& b,
                           std::span<const Member> members, int perturbations, const ParallelFor& parallel) {
  BlockFactors f;
  const int64_t r = b.rank, pr = static_cast<int64_t>(perturbations) * r;
  const size_t a_size = static_cast<size_t>(b.rows * r);
  f.strips = b.cols / kStrip;
  f.tail = b.cols % kStrip;
  f.a.resize(static_cast<size_t>(perturbations) * a_size);
  f.b.resize(static_cast<size_t>(pr * b.cols));
  std::vector<uint64_t> seeds(static_cast<size_t>(perturbations));
  for (const auto& m : members) seeds[static_cast<size_t>(m.perturbation)] = m.seed;
  parallel(static_cast<size_t>(perturbations), [&](size_t p, int) {
    std::vector<float> raw(b.factor_size());
    perturbation.factors(b, seeds[p], raw);
    std::copy_n(raw.begin(), a_size, f.a.begin() + static_cast<ptrdiff_t>(p * a_size));
    const float* braw = raw.data() + a_size;  // B_p: cols x rank
    for (int64_t t = 0; t < r; ++t) {
      const int64_t entry = static_cast<int64_t>(p) * r + t;
      for (int64_t k = 0; k < f.strips * kStrip; ++k) {
        f.b[static_cast<size_t>(((k / kStrip) * pr + entry) * kStrip + k % kStrip)] = braw[k * r + t];
      }
      float* tail = f.b.data() + f.strips * pr * kStrip + entry * f.tail;
      for (int64_t kt = 0; kt < f.tail; ++kt) tail[kt] = braw[(f.strips * kStrip + kt) * r + t];
    }
  });
  return f;
}

void lowrank_gradient(const BlockPerturbation& b, const BlockFactors& f, std::span<const Member> members,
                      std::span<const float> w, float scale, float* g, int perturbations,
                      const ParallelFor& parallel) {
  const int64_t r = b.rank;
  const int64_t nq = static_cast<int64_t>(members.size()) * r;  // terms in member order, then t
  const size_t row_blocks = static_cast<size_t>((b.rows + kRowBlock - 1) / kRowBlock);
  std::vector<int64_t> qoff(static_cast<size_t>(nq));
  for (size_t i = 0; i < members.size(); ++i) {
    for (int64_t t = 0; t < r; ++t) qoff[i * static_cast<size_t>(r) + static_cast<size_t>(t)] = members[i].perturbation * r + t;
  }
  parallel(row_blocks, [&](size_t rb, int) {
    const int64_t j0 = static_cast<int64_t>(rb) * kRowBlock, rows = std::min(kRowBlock, b.rows - j0);
    // coef[q][j] = w_i * A_i[j0 + j][t], the float multiply axpy's caller made.
    std::vector<float> coef(static_cast<size_t>(nq * kRowBlock), 0.0f);
    for (size_t i = 0; i < members.size(); ++i) {
      const float* a = f.a.data() + static_cast<size_t>(members[i].perturbation) * static_cast<size_t>(b.rows * r);
      for (int64_t t = 0; t < r; ++t) {
        float* c = coef.data() + (static_cast<int64_t>(i) * r + t) * kRowBlock;
        for (int64_t j = 0; j < rows; ++j) c[j] = w[i] * a[(j0 + j) * r + t];
      }
    }
    lowrank_rows(coef.data(), f, qoff.data(), nq, static_cast<int64_t>(perturbations) * r, rows, scale,
                 g + j0 * b.cols, b.cols);
  });
}

void full_gradient(const BlockPerturbation& b, std::span<const Member> members, std::span<const float> w,
                   float scale, float* g, const ParallelFor& parallel) {
  const size_t chunks = (b.size + kChunk - 1) / kChunk;
  parallel(chunks, [&](size_t c, int) {
    const size_t first = c * kChunk, n = std::min(kChunk, b.size - first);
    std::vector<float> acc(n, 0.0f), eps(n);
    int current = -1;
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i].perturbation != current) {  // antithetic partners share their noise
        current = members[i].perturbation;
        noise::fill_v1(members[i].seed, b.block, first, eps);
      }
      axpy(acc.data(), eps.data(), w[i], n);
    }
    for (size_t k = 0; k < n; ++k) g[first + k] = acc[k] * scale;
  });
}

// base^t in double by repeated squaring: a fixed sequence of IEEE multiplies for each t.
double power(double base, int64_t t) {
  double result = 1.0;
  while (t > 0) {
    if (t & 1) result *= base;
    base *= base;
    t >>= 1;
  }
  return result;
}

}  // namespace

std::vector<float> estimate_gradient(const Perturbation& perturbation, std::span<const Member> members,
                                     std::span<const float> shaped, const ParallelFor& parallel) {
  check_size("the shaped fitnesses", shaped.size(), members.size());
  if (members.empty()) invalid_argument("es update: no members");
  std::vector<float> w(members.size());
  int perturbations = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    w[i] = members[i].sign < 0 ? -shaped[i] : shaped[i];
    perturbations = std::max(perturbations, members[i].perturbation + 1);
  }
  const double n_sigma = static_cast<double>(members.size()) * static_cast<double>(perturbation.sigma());
  std::vector<float> g(perturbation.genotype_size(), 0.0f);
  for (const auto& b : perturbation.blocks()) {
    if (!b.lowrank) {
      full_gradient(b, members, w, static_cast<float>(1.0 / n_sigma), g.data() + b.offset, parallel);
      continue;
    }
    const auto f = block_factors(perturbation, b, members, perturbations, parallel);
    const float scale = static_cast<float>(1.0 / (n_sigma * std::sqrt(static_cast<double>(b.rank))));
    lowrank_gradient(b, f, members, w, scale, g.data() + b.offset, perturbations, parallel);
  }
  return g;
}

OptimizerState initial_state(const evolve::EsSettings& settings, size_t size) {
  OptimizerState s;
  if (settings.optimizer == evolve::EsSettings::Optimizer::kAdam) {
    s.m.assign(size, 0.0f);
    s.v.assign(size, 0.0f);
  }
  return s;
}

void apply_step(const evolve::EsSettings& settings, std::span<float> center, std::span<const float> gradient,
                OptimizerState& state, const ParallelFor& parallel) {
  check_size("the gradient", gradient.size(), center.size());
  const bool adam = settings.optimizer == evolve::EsSettings::Optimizer::kAdam;
  if (adam) {
    check_size("the optimizer's first moment", state.m.size(), center.size());
    check_size("the optimizer's second moment", state.v.size(), center.size());
  }
  const float lr = static_cast<float>(settings.learning_rate);
  const float wd = static_cast<float>(settings.weight_decay);
  const bool decay = settings.weight_decay != 0;
  const int64_t t = state.step + 1;
  const float c1 = static_cast<float>(1.0 - power(0.9, t)), c2 = static_cast<float>(1.0 - power(0.999, t));
  const size_t chunks = (center.size() + kChunk - 1) / kChunk;
  parallel(chunks, [&](size_t c, int) {
    const size_t first = c * kChunk, last = std::min(center.size(), first + kChunk);
    for (size_t e = first; e < last; ++e) {
      float d = gradient[e];
      if (decay) d = d - wd * center[e];
      if (!adam) {
        center[e] = center[e] + lr * d;
        continue;
      }
      const float m = 0.9f * state.m[e] + 0.1f * d;
      const float v = 0.999f * state.v[e] + 0.001f * (d * d);
      state.m[e] = m;
      state.v[e] = v;
      center[e] = center[e] + (lr * (m / c1)) / (std::sqrt(v / c2) + 1e-8f);
    }
  });
  state.step = t;
}

void update_center(const evolve::EsSettings& settings, const Perturbation& perturbation,
                   std::span<const Member> members, std::span<const double> fitness, std::span<float> center,
                   OptimizerState& state, const ParallelFor& parallel) {
  check_size("the fitnesses", fitness.size(), members.size());
  const auto shaped = shape(settings.shaping, fitness);
  const auto g = estimate_gradient(perturbation, members, shaped, parallel);
  apply_step(settings, center, g, state, parallel);
}

}  // namespace seedline::es
