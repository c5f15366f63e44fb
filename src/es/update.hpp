// Evolution strategies: the center's update from a generation's members and fitnesses.
//
// Gradient estimate (docs/es.md), with w_i = sign_i * shaped_i (float32; the sign flip is exact)
// and N members:
//   full block:     acc[e]   = sum_i w_i * eps_i[e]
//                   g[e]     = acc[e] * float(1 / (N * sigma))
//   low-rank block: acc[j,k] = sum_i sum_{t<r} (w_i * A_i[j,t]) * B_i[k,t]
//                   g[j,k]   = acc[j,k] * float(1 / (N * sigma * sqrt(r)))
// i.e. g = (1 / (N sigma)) sum_i shaped_i * sign_i * eps_i. Every accumulator starts at +0 and
// adds its terms in member order (and t in order), float32, no FMA; the per-member full
// matrices A_i . B_i^T are never formed. The work is split by element (full) and by row
// blocks (low-rank), never inside one element's sum, so the bits do not depend on the thread
// count.
//
// Optimizer step, ascending fitness, per element, float32 (wd = weight_decay; the decay term
// is left out when wd is 0):
//   d = g - wd * x
//   sgd:  x = x + lr * d
//   adam: t = t + 1; m = 0.9 m + 0.1 d; v = 0.999 v + 0.001 (d * d);
//         x = x + (lr * (m / c1)) / (sqrt(v / c2) + 1e-8),  c1 = float(1 - 0.9^t), c2 = float(1 - 0.999^t)
// with 0.9^t, 0.999^t in double by repeated squaring (no libm pow).
//
// Thread-safety: pure functions over the caller's buffers; `parallel` may spread work over
// threads. Failure: kInvalidArgument when spans have the wrong sizes (members vs shaped
// weights, gradient vs genotype, an optimizer state of another genotype size).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "es/members.hpp"
#include "es/perturbation.hpp"
#include "evolve/algorithm.hpp"

namespace seedline::es {

// The gradient estimate g for `members` with shaped fitnesses `shaped` (one per member).
std::vector<float> estimate_gradient(const Perturbation& perturbation, std::span<const Member> members,
                                     std::span<const float> shaped, const ParallelFor& parallel = serial());

// What the optimizer carries from one generation to the next (stored in snapshots).
struct OptimizerState {
  int64_t step = 0;     // updates applied so far
  std::vector<float> m;  // adam: first moment (empty for sgd)
  std::vector<float> v;  // adam: second moment (empty for sgd)
  bool operator==(const OptimizerState&) const = default;
};

// The state before the first update of a genotype of `size` values.
OptimizerState initial_state(const evolve::EsSettings& settings, size_t size);

// Applies one step of the optimizer to `center` with gradient `gradient`, updating `state`.
void apply_step(const evolve::EsSettings& settings, std::span<float> center, std::span<const float> gradient,
                OptimizerState& state, const ParallelFor& parallel = serial());

// One whole ES generation's update: shapes `fitness`, estimates the gradient, steps.
void update_center(const evolve::EsSettings& settings, const Perturbation& perturbation,
                   std::span<const Member> members, std::span<const double> fitness, std::span<float> center,
                   OptimizerState& state, const ParallelFor& parallel = serial());

}  // namespace seedline::es
