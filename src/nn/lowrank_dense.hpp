// Batched dense forward passes for a population sharing one weight matrix, and EGGROLL's
// low-rank perturbed forward.
//
// Shapes (row-major throughout): P members, each with Bt input rows (its batch), in = n,
// out = m. X is (P*Bt) x n, member p owning rows [p*Bt, (p+1)*Bt); W is m x n; Y is (P*Bt) x m.
//   dense_forward:   Y = X . W^T (+ bias on every row)
//   lowrank_forward: Y_p = X_p . W^T + scale_p * (X_p . B_p) . A_p^T (+ bias), where member p's
//                    perturbation is scale_p * A_p . B_p^T with A_p (m x r), B_p (n x r).
// The perturbed matrix W + scale_p A_p B_p^T is never formed: W is packed once per call and
// shared by every member's product X_p . W^T, and each member adds a rank-r correction costing
// Bt * r * (m + n) multiply-adds. With es::Perturbation's factors and
// scale_p = sign_p * sigma / sqrt(r), Y_p is the forward of member p's genotype (docs/es.md).
// Both run on kernels::gemm (docs/kernels.md): each output is bias (0 without) then fused
// multiply-adds over the input in order, and for lowrank_forward the member's rank-r
// correction continues the same chain over (scale_p X_p B_p)'s r columns; so the results are
// the same bits on every kernel path and x86-64 machine, and agree with the explicitly
// perturbed forward to float rounding. Only bench/es_bench and the tests call these: runs
// evaluate members through their tasks' networks.
//
// Thread-safety: pure functions over the caller's buffers (the packed weights live in
// thread-local scratch); concurrent calls on disjoint outputs are safe. Failure: kInvalidArgument naming the mismatched size.
#pragma once

#include <cstdint>
#include <span>

namespace seedline::nn {

struct DenseShape {
  int64_t members = 1;  // P
  int64_t batch = 1;    // Bt: input rows per member
  int64_t in = 1;       // n
  int64_t out = 1;      // m
};

// Factors of the members' perturbations. Member p uses factor set factor_of(p): p / 2 when
// `antithetic` (pairs share A and B, their scales have opposite signs), p otherwise.
struct LowRankFactors {
  int64_t rank = 1;              // r
  bool antithetic = false;
  std::span<const float> a;      // sets x m x r
  std::span<const float> b;      // sets x n x r
  std::span<const float> scale;  // one per member
};

// x: P*Bt x n; w: m x n; bias: m values or empty; y: P*Bt x m.
void dense_forward(const DenseShape& shape, std::span<const float> x, std::span<const float> w,
                   std::span<const float> bias, std::span<float> y);

void lowrank_forward(const DenseShape& shape, std::span<const float> x, std::span<const float> w,
                     std::span<const float> bias, const LowRankFactors& factors, std::span<float> y);

}  // namespace seedline::nn
