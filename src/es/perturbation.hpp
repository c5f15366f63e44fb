// Evolution strategies: the perturbation eps of one member, full or low-rank (EGGROLL).
//
// The genotype is perturbed block by block (genome::Block, in genotype order; the block index
// is noise v1's tensor coordinate). With {"type": "full"} every block gets
//   eps[e] = eps_v1(seed, block, e).
// With {"type": "lowrank", "rank": r} a block whose shape has two or more dimensions is
// viewed as an m x n matrix (m = shape[0], n = the product of the rest) and gets
//   eps = A . B^T / sqrt(r),  A (m x r) = eps_v1(seed, block, 0 .. m*r-1) row-major,
//                             B (n x r) = eps_v1(seed, block, m*r .. m*r+n*r-1) row-major;
// one-dimensional blocks (biases) get the full perturbation. A member's genotype is
// center + sign * sigma * eps with this float32 order of operations (no FMA):
//   full:     x[e] = c[e] + s * eps[e],                         s = float(sign * sigma)
//   low-rank: x[j,k] = c[j,k] + sum_{t=0..r-1} (s_r * A[j,t]) * B[k,t],  s_r = float(sign * sigma / sqrt(r))
// (the sum starts at +0 and adds t in order). docs/es.md has the formulas and the reasons.
//
// Thread-safety: immutable after construction; every member function is const and may run
// concurrently. Failure: the constructor throws kInvalidArgument for a rank < 1 with a
// low-rank perturbation; member functions throw kInvalidArgument when a span has the wrong
// size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "evolve/algorithm.hpp"
#include "genome/genome.hpp"

namespace seedline::es {

// How one genotype block is perturbed.
struct BlockPerturbation {
  uint32_t block = 0;  // index in Genome::blocks(): the noise's tensor coordinate
  size_t offset = 0;   // into the genotype
  size_t size = 0;
  bool lowrank = false;
  int64_t rows = 0, cols = 0;  // low-rank: the m x n matrix view
  int rank = 0;                // low-rank: r
  size_t factor_size() const { return static_cast<size_t>((rows + cols) * rank); }  // A then B
};

class Perturbation {
 public:
  Perturbation(const genome::Genome& genome, const evolve::EsSettings& settings);

  const std::vector<BlockPerturbation>& blocks() const { return blocks_; }
  size_t genotype_size() const { return genotype_size_; }
  float sigma() const { return sigma_; }
  // True when at least one block is low-rank.
  bool any_lowrank() const;

  // out = center + sign * sigma * eps(seed), in the order documented above.
  void perturb(std::span<const float> center, uint64_t seed, float sign, std::span<float> out) const;

  // The factors of low-rank block `b`: A (rows x rank) then B (cols x rank), row-major, into
  // `out` of size factor_size().
  void factors(const BlockPerturbation& b, uint64_t seed, std::span<float> out) const;

  // eps itself for every block, as the genotype lays it out: full blocks their noise, low-rank
  // blocks A . B^T / sqrt(r) formed explicitly (float32: the sum over t in order, then times
  // float(1 / sqrt(r))). For exports, tests and references; the update never forms it.
  std::vector<float> dense_noise(uint64_t seed) const;

 private:
  std::vector<BlockPerturbation> blocks_;
  size_t genotype_size_ = 0;
  float sigma_ = 0;
  double sigma_over_sqrt_rank_ = 0;
};

}  // namespace seedline::es
