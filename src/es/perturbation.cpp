#include "es/perturbation.hpp"

#include <algorithm>
#include <cmath>

#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::es {
namespace {

void check_size(const char* what, size_t got, size_t expected) {
  if (got != expected) {
    invalid_argument(std::string("es perturbation: ") + what + " has " + std::to_string(got) +
                     " values; expected " + std::to_string(expected));
  }
}

// out[j, k] += sum_t (scale * A[j, t]) * B[k, t] for an m x n row-major `out`: the low-rank
// perturbation's own order of operations (the sum first, then one add to the center).
void add_lowrank(const BlockPerturbation& b, std::span<const float> f, float scale, float* out) {
  const int64_t r = b.rank;
  const float* a = f.data();
  const float* bt = f.data() + b.rows * r;
  std::vector<float> row(static_cast<size_t>(b.cols));
  for (int64_t j = 0; j < b.rows; ++j) {
    std::fill(row.begin(), row.end(), 0.0f);
    for (int64_t t = 0; t < r; ++t) {
      const float aj = scale * a[j * r + t];
      for (int64_t k = 0; k < b.cols; ++k) row[static_cast<size_t>(k)] += aj * bt[k * r + t];
    }
    float* o = out + j * b.cols;
    for (int64_t k = 0; k < b.cols; ++k) o[k] = o[k] + row[static_cast<size_t>(k)];
  }
}

}  // namespace

Perturbation::Perturbation(const genome::Genome& genome, const evolve::EsSettings& settings)
    : genotype_size_(genome.genotype_size()), sigma_(static_cast<float>(settings.sigma)) {
  const bool lowrank = settings.perturbation == evolve::EsSettings::Perturbation::kLowRank;
  if (lowrank && settings.rank < 1) {
    invalid_argument("algorithm.perturbation.rank: must be >= 1 (got " + std::to_string(settings.rank) + ")");
  }
  sigma_over_sqrt_rank_ = lowrank ? settings.sigma / std::sqrt(static_cast<double>(settings.rank)) : settings.sigma;
  const auto& blocks = genome.blocks();
  for (size_t i = 0; i < blocks.size(); ++i) {
    BlockPerturbation p;
    p.block = static_cast<uint32_t>(i);
    p.offset = blocks[i].offset;
    p.size = blocks[i].size;
    if (lowrank && blocks[i].shape.size() >= 2) {
      p.lowrank = true;
      p.rows = blocks[i].shape[0];
      p.cols = static_cast<int64_t>(p.size) / p.rows;
      p.rank = settings.rank;
    }
    blocks_.push_back(p);
  }
}

bool Perturbation::any_lowrank() const {
  return std::any_of(blocks_.begin(), blocks_.end(), [](const BlockPerturbation& b) { return b.lowrank; });
}

void Perturbation::factors(const BlockPerturbation& b, uint64_t seed, std::span<float> out) const {
  check_size("the factor buffer", out.size(), b.factor_size());
  noise::fill_v1(seed, b.block, 0, out);
}

void Perturbation::perturb(std::span<const float> center, uint64_t seed, float sign, std::span<float> out) const {
  check_size("the center", center.size(), genotype_size_);
  check_size("the member", out.size(), genotype_size_);
  std::copy(center.begin(), center.end(), out.begin());
  const float full_scale = static_cast<float>(static_cast<double>(sign) * static_cast<double>(sigma_));
  const float lowrank_scale = static_cast<float>(static_cast<double>(sign) * sigma_over_sqrt_rank_);
  std::vector<float> f;
  for (const auto& b : blocks_) {
    if (!b.lowrank) {
      noise::add_scaled_v1(seed, b.block, 0, full_scale, out.subspan(b.offset, b.size));
      continue;
    }
    f.resize(b.factor_size());
    factors(b, seed, f);
    add_lowrank(b, f, lowrank_scale, out.data() + b.offset);
  }
}

std::vector<float> Perturbation::dense_noise(uint64_t seed) const {
  std::vector<float> eps(genotype_size_, 0.0f);
  std::vector<float> f;
  for (const auto& b : blocks_) {
    const std::span<float> out(eps.data() + b.offset, b.size);
    if (!b.lowrank) {
      noise::fill_v1(seed, b.block, 0, out);
      continue;
    }
    f.resize(b.factor_size());
    factors(b, seed, f);
    add_lowrank(b, f, 1.0f, out.data());  // eps starts at +0: out = sum_t A . B
    const float inv = static_cast<float>(1.0 / std::sqrt(static_cast<double>(b.rank)));
    for (float& v : out) v = v * inv;
  }
  return eps;
}

}  // namespace seedline::es
