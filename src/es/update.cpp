#include "es/update.hpp"

#include <algorithm>
#include <cmath>

#include "es/shaping.hpp"
#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::es {
namespace {

// Full blocks are split into chunks of this many elements: each chunk is one work item, its
// noise regenerated per perturbation into a buffer that stays in L1/L2.
constexpr size_t kChunk = 8192;
// Low-rank blocks: one work item is kRowBlock rows; its accumulators are walked kColTile
// columns at a time (kRowBlock x kColTile floats = 32 KiB), so each B column tile read from
// memory serves kRowBlock rows.
constexpr int64_t kRowBlock = 8;
constexpr int64_t kColTile = 1024;

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

// The members' low-rank factors of one block, A_p then B_p^T (so that column t of B is
// contiguous), for every perturbation p.
struct BlockFactors {
  std::vector<float> a;   // perturbations x rows x rank
  std::vector<float> bt;  // perturbations x rank x cols
};

BlockFactors block_factors(const Perturbation& perturbation, const BlockPerturbation& b,
                           std::span<const Member> members, int perturbations, const ParallelFor& parallel) {
  BlockFactors f;
  const size_t a_size = static_cast<size_t>(b.rows * b.rank), b_size = static_cast<size_t>(b.cols * b.rank);
  f.a.resize(static_cast<size_t>(perturbations) * a_size);
  f.bt.resize(static_cast<size_t>(perturbations) * b_size);
  std::vector<uint64_t> seeds(static_cast<size_t>(perturbations));
  for (const auto& m : members) seeds[static_cast<size_t>(m.perturbation)] = m.seed;
  parallel(static_cast<size_t>(perturbations), [&](size_t p, int) {
    std::vector<float> raw(b.factor_size());
    perturbation.factors(b, seeds[p], raw);
    std::copy_n(raw.begin(), a_size, f.a.begin() + static_cast<ptrdiff_t>(p * a_size));
    float* bt = f.bt.data() + p * b_size;
    for (int64_t k = 0; k < b.cols; ++k) {
      for (int64_t t = 0; t < b.rank; ++t) bt[t * b.cols + k] = raw[a_size + static_cast<size_t>(k * b.rank + t)];
    }
  });
  return f;
}

void lowrank_gradient(const BlockPerturbation& b, const BlockFactors& f, std::span<const Member> members,
                      std::span<const float> w, float scale, float* g, const ParallelFor& parallel) {
  const int64_t r = b.rank;
  const size_t row_blocks = static_cast<size_t>((b.rows + kRowBlock - 1) / kRowBlock);
  parallel(row_blocks, [&](size_t rb, int) {
    const int64_t j0 = static_cast<int64_t>(rb) * kRowBlock, j1 = std::min(b.rows, j0 + kRowBlock);
    std::vector<float> acc(static_cast<size_t>(kRowBlock * kColTile));
    for (int64_t k0 = 0; k0 < b.cols; k0 += kColTile) {
      const int64_t width = std::min(kColTile, b.cols - k0);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (size_t i = 0; i < members.size(); ++i) {
        const auto p = static_cast<size_t>(members[i].perturbation);
        const float* a = f.a.data() + p * static_cast<size_t>(b.rows * r);
        const float* bt = f.bt.data() + p * static_cast<size_t>(b.cols * r);
        for (int64_t t = 0; t < r; ++t) {
          const float* bcol = bt + t * b.cols + k0;
          for (int64_t j = j0; j < j1; ++j) {
            axpy(acc.data() + (j - j0) * kColTile, bcol, w[i] * a[j * r + t], static_cast<size_t>(width));
          }
        }
      }
      for (int64_t j = j0; j < j1; ++j) {
        const float* src = acc.data() + (j - j0) * kColTile;
        float* dst = g + j * b.cols + k0;
        for (int64_t k = 0; k < width; ++k) dst[k] = src[k] * scale;
      }
    }
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
    lowrank_gradient(b, f, members, w, scale, g.data() + b.offset, parallel);
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
