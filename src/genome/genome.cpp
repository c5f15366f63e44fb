#include "genome/genome.hpp"

#include <xxhash.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <memory>
#include <new>
#include <bit>
#include <cmath>
#include <string>

#include "kernels/kernels.hpp"
#include "kernels/version.hpp"
#include "noise/noise.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

static_assert(std::endian::native == std::endian::little, "checksums hash the in-memory floats as little-endian bytes");

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// out = A (rows x rank) . B (rank x cols) through kernels::gemm, or its transpose (cols x rows)
// when `transposed` (a conv kernel's layout, see develop_into).
void develop_product_v3(const float* a, const float* b, int64_t rows, int64_t rank, int64_t cols, bool transposed,
                        float* out) {
  const int64_t ld = kernels::padded_stride(cols);
  std::vector<float> bt(static_cast<size_t>(rank * ld), 0.0f);
  for (int64_t r = 0; r < rank; ++r) std::copy(b + r * cols, b + (r + 1) * cols, bt.begin() + r * ld);
  if (!transposed) {
    kernels::gemm(a, rank, rows, rank, bt.data(), ld, cols, nullptr, out, cols);
    return;
  }
  std::vector<float> m(static_cast<size_t>(rows * cols));
  kernels::gemm(a, rank, rows, rank, bt.data(), ld, cols, nullptr, m.data(), cols);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) out[j * rows + i] = m[static_cast<size_t>(i * cols + j)];
  }
}

constexpr size_t kMaxGenotype = size_t{1} << 30;

void check_size(const char* what, size_t got, size_t expected) {
  if (got != expected) {
    invalid_argument(std::string(what) + " has " + std::to_string(got) + " values; this genome expects " +
                     std::to_string(expected));
  }
}

void check_setting(const char* name, double value) {
  if (!std::isfinite(value) || value < 0) {
    invalid_argument(std::string(name) + ": must be a finite number >= 0 (got " + std::to_string(value) + ")");
  }
}

}  // namespace

double default_bias_std(double mutation_rate) { return mutation_rate; }

Genome::Genome(Architecture architecture, Representation representation, MutationSettings mutation,
               int noise_version, BaseWeights base)
    : architecture_(std::move(architecture)),
      representation_(std::move(representation)),
      mutation_(mutation),
      noise_version_(noise_version),
      base_declared_(base.declared || base.file != nullptr) {
  noise::require_supported(noise_version_);
  check_setting("mutation_rate", mutation_.mutation_rate);
  check_setting("bias_std", mutation_.bias_std);
  if (mutation_.sigma) check_setting("sigma", *mutation_.sigma);
  const bool factorized = representation_.type == Representation::Type::kFactorized;
  if ((factorized || representation_.type == Representation::Type::kLora) && representation_.rank < 1) {
    invalid_argument("representation.rank: must be >= 1 (got " + std::to_string(representation_.rank) + ")");
  }
  for (auto [key, rank] : {std::pair{"embedding_rank", representation_.embedding_rank},
                           std::pair{"attention_rank", representation_.attention_rank},
                           std::pair{"ff_rank", representation_.ff_rank}}) {
    if (factorized && rank && *rank < 1) {
      invalid_argument(std::string("representation.") + key + ": must be >= 1 (got " + std::to_string(*rank) + ")");
    }
  }
  const double mr = mutation_.mutation_rate;

  const auto add_block = [&](std::string name, std::vector<int64_t> shape, int tensor, double init_std,
                             double mutation_std) {
    Block b;
    b.name = std::move(name);
    b.shape = std::move(shape);
    b.offset = genotype_size_;
    b.size = 1;
    for (const int64_t d : b.shape) b.size *= static_cast<size_t>(d);
    b.tensor = tensor;
    b.init_std = static_cast<float>(init_std);
    b.mutation_std = static_cast<float>(mutation_std);
    b.from_base = base_declared_;  // lora's A and B are the exception, set below
    genotype_size_ += b.size;
    if (genotype_size_ > kMaxGenotype) {
      invalid_argument("representation: the genotype would hold more than " + std::to_string(kMaxGenotype) +
                       " values");
    }
    blocks_.push_back(std::move(b));
  };

  for (size_t ti = 0; ti < architecture_.tensors.size(); ++ti) {
    const TensorSpec& t = architecture_.tensors[ti];
    const int tensor = static_cast<int>(ti);
    TensorLayout layout;
    if (!t.evolvable) {
      layout_.push_back(layout);
      continue;
    }
    layout.first_block = static_cast<int>(blocks_.size());
    // A layer's own representation overrides the condition's (e.g. a direct output layer).
    const Representation& rep = architecture_.representation_of(tensor, representation_);
    const bool lora = rep.type == Representation::Type::kLora;
    if (t.kind == TensorKind::kBias && lora) {
      // Frozen like the weight it belongs to: only A and B evolve under lora.
      layout.first_block = -1;
      layout.frozen = true;
    } else if (t.kind == TensorKind::kBias) {
      add_block(t.name, t.shape, tensor, 0.0, mutation_.bias_std);
    } else if (rep.type == Representation::Type::kDirect) {
      const double std_w = std::sqrt(2.0 / static_cast<double>(t.fan_in));
      add_block(t.name, t.shape, tensor, std_w, mutation_.sigma.value_or(mr * std_w));
    } else {
      // The matrix whose factors are evolved: dense (out, in), embedding (vocab, d), conv
      // (in*h*w, out) (developed transposed into the kernel's (out, in, h, w) layout).
      layout.factorized = true;
      switch (t.kind) {
        case TensorKind::kConvKernel:
          layout.rows = t.shape[1] * t.shape[2] * t.shape[3];
          layout.cols = t.shape[0];
          break;
        default:
          layout.rows = t.shape[0];
          layout.cols = t.shape[1];
          break;
      }
      layout.rank = rep.rank_for(t.kind == TensorKind::kEmbedding ? RankKind::kEmbedding : t.rank_kind);
      // Factor fan-ins: A's is the rank, B's the tensor's own fan-in, so that
      // Var(A.B) = k * (sqrt2 / k) * (sqrt2 / fan_in) = 2 / fan_in.
      const double std_a = std::sqrt(std::sqrt(2.0) / static_cast<double>(layout.rank));
      const double std_b = std::sqrt(std::sqrt(2.0) / static_cast<double>(t.fan_in));
      const double smr = std::sqrt(mr);
      add_block(t.name + ".A", {layout.rows, layout.rank}, tensor, std_a, mutation_.sigma.value_or(smr * std_a));
      // lora: B starts at zero, so the phenotype starts as the base; it mutates like a factor.
      add_block(t.name + ".B", {layout.rank, layout.cols}, tensor, lora ? 0.0 : std_b,
                mutation_.sigma.value_or(smr * std_b));
      if (lora) {
        layout.lora = true;
        blocks_[blocks_.size() - 2].from_base = blocks_.back().from_base = false;
      }
    }
    layout_.push_back(layout);
  }
  if (develops_from_base() && !base_declared_) {
    invalid_argument("representation: lora needs init.from, the base weights it keeps frozen (docs/genome.md)");
  }
  if (base.file != nullptr) take_base(*base.file);
}

const Architecture& Genome::architecture() const { return architecture_; }
const Representation& Genome::representation() const { return representation_; }
int Genome::noise_version() const { return noise_version_; }

void Genome::set_kernel_version(int version) {
  kernels::require_supported(version);
  kernel_version_ = version;
}
const std::vector<Block>& Genome::blocks() const { return blocks_; }
size_t Genome::genotype_size() const { return genotype_size_; }
bool Genome::phenotype_is_genotype() const {
  return std::all_of(layout_.begin(), layout_.end(), [](const TensorLayout& l) { return l.first_block >= 0 && !l.factorized; });
}
bool Genome::develops_from_base() const {
  return std::any_of(layout_.begin(), layout_.end(), [](const TensorLayout& l) { return l.lora || l.frozen; });
}
size_t Genome::phenotype_size() const { return static_cast<size_t>(architecture_.parameter_count()); }

void Genome::init_range(uint64_t seed, std::span<float> g, size_t begin, size_t end) const {
  for (size_t bi = 0; bi < blocks_.size(); ++bi) {
    const Block& b = blocks_[bi];
    const size_t lo = std::max(begin, b.offset), hi = std::min(end, b.offset + b.size);
    if (lo >= hi || b.init_std == 0.0f || b.from_base) continue;  // biases stay +0; base values stay
    const std::span<float> out = g.subspan(lo, hi - lo);
    noise::fill_v1(seed, static_cast<uint32_t>(bi), lo - b.offset, out);
    const float s = b.init_std;
    for (float& v : out) v = s * v;
  }
}

namespace {
// Runs fn(begin, end) over pieces of kPieceValues covering [0, n), on `parallel` if given.
void over_pieces(size_t n, const ParallelPieces& parallel, const std::function<void(size_t, size_t)>& fn) {
  const size_t pieces = (n + Genome::kPieceValues - 1) / Genome::kPieceValues;
  const auto piece = [&](size_t i) { fn(i * Genome::kPieceValues, std::min(n, (i + 1) * Genome::kPieceValues)); };
  if (!parallel || pieces <= 1) {
    for (size_t i = 0; i < pieces; ++i) piece(i);
  } else {
    parallel(pieces, piece);
  }
}
}  // namespace

std::vector<float> Genome::init_parallel(uint64_t seed, const ParallelPieces& parallel) const {
  std::vector<float> g = root_copy();
  over_pieces(genotype_size_, parallel, [&](size_t b, size_t e) { init_range(seed, g, b, e); });
  return g;
}

void Genome::mutate_parallel(std::span<float> genotype, uint64_t seed, const ParallelPieces& parallel) const {
  check_size("the genotype", genotype.size(), genotype_size_);
  over_pieces(genotype_size_, parallel, [&](size_t b, size_t e) { mutate_range(genotype, seed, b, e); });
}

uint64_t Genome::checksum_then_mutate(std::span<float> g, uint64_t seed, const ParallelPieces& parallel) const {
  check_size("the genotype", g.size(), genotype_size_);
  const size_t n = g.size();
  const size_t pieces = (n + kPieceValues - 1) / kPieceValues;
  if (!parallel || pieces <= 1) {
    const uint64_t sum = checksum(g);
    mutate(g, seed);
    return sum;
  }
  // One hasher walks the pieces in order and publishes how far it got; piece j is mutated
  // only after it was hashed. Whoever finds the hasher role free takes it (piece 0 normally,
  // or a piece that would otherwise wait), so no order of running the pieces can deadlock.
  const std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)> owned(XXH64_createState(), &XXH64_freeState);
  XXH64_state_t* state = owned.get();
  if (state == nullptr) throw std::bad_alloc();
  XXH64_reset(state, 0);
  std::atomic<bool> hasher_taken{false};
  std::atomic<size_t> hashed{0};
  const auto hash_all = [&] {
    if (hasher_taken.exchange(true)) return;
    for (size_t j = 0; j < pieces; ++j) {
      const size_t begin = j * kPieceValues, count = std::min(kPieceValues, n - begin);
      XXH64_update(state, g.data() + begin, count * sizeof(float));
      hashed.store(j + 1, std::memory_order_release);
      hashed.notify_all();
    }
  };
  parallel(pieces + 1, [&](size_t i) {
    if (i == 0) return hash_all();
    const size_t j = i - 1;
    if (hashed.load(std::memory_order_acquire) <= j) hash_all();
    for (size_t h; (h = hashed.load(std::memory_order_acquire)) <= j;) hashed.wait(h, std::memory_order_acquire);
    mutate_range(g, seed, j * kPieceValues, std::min(n, (j + 1) * kPieceValues));
  });
  return XXH64_digest(state);
}

std::vector<float> Genome::init(uint64_t seed) const {
  std::vector<float> g = root_copy();
  for (size_t bi = 0; bi < blocks_.size(); ++bi) {
    const Block& b = blocks_[bi];
    if (b.init_std == 0.0f || b.from_base) continue;  // biases start at +0; base values are in place
    const std::span<float> out(g.data() + b.offset, b.size);
    noise::fill_v1(seed, static_cast<uint32_t>(bi), 0, out);
    const float s = b.init_std;
    for (float& v : out) v = s * v;
  }
  return g;
}

void Genome::mutate(std::span<float> genotype, uint64_t seed) const {
  check_size("the genotype", genotype.size(), genotype_size_);
  for (size_t bi = 0; bi < blocks_.size(); ++bi) {
    const Block& b = blocks_[bi];
    if (b.mutation_std == 0.0f) continue;  // not even + 0 * eps: that would turn -0 into +0
    noise::add_scaled_v1(seed, static_cast<uint32_t>(bi), 0, b.mutation_std, genotype.subspan(b.offset, b.size));
  }
}

void Genome::mutate_range(std::span<float> genotype, uint64_t seed, size_t begin, size_t end) const {
  check_size("the genotype", genotype.size(), genotype_size_);
  if (begin > end || end > genotype_size_) {
    invalid_argument("mutate_range: [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") is not inside a genotype of " + std::to_string(genotype_size_) + " values");
  }
  for (size_t bi = 0; bi < blocks_.size(); ++bi) {
    const Block& b = blocks_[bi];
    const size_t lo = std::max(begin, b.offset), hi = std::min(end, b.offset + b.size);
    if (lo >= hi || b.mutation_std == 0.0f) continue;  // as mutate(): no + 0 * eps
    noise::add_scaled_v1(seed, static_cast<uint32_t>(bi), lo - b.offset, b.mutation_std,
                         genotype.subspan(lo, hi - lo));
  }
}

void Genome::mutate_into(std::span<const float> parent, uint64_t seed, std::span<float> out) const {
  check_size("the parent genotype", parent.size(), genotype_size_);
  check_size("the child genotype", out.size(), genotype_size_);
  // 16 Ki floats (64 KiB): the copy stays in L2 until the noise is added to it.
  constexpr size_t kPiece = size_t{1} << 14;
  for (size_t at = 0; at < genotype_size_; at += kPiece) {
    const size_t n = std::min(kPiece, genotype_size_ - at);
    std::copy_n(parent.data() + at, n, out.data() + at);
    mutate_range(out, seed, at, at + n);
  }
}

std::vector<float> Genome::develop(std::span<const float> genotype) const {
  std::vector<float> phenotype(phenotype_size());
  develop_into(genotype, phenotype);
  return phenotype;
}

void Genome::develop_into(std::span<const float> genotype, std::span<float> phenotype) const {
  check_size("the genotype", genotype.size(), genotype_size_);
  check_size("the phenotype", phenotype.size(), phenotype_size());
  if (root_ == nullptr && base_declared_) require_base("develop");
  size_t at = 0;
  for (size_t ti = 0; ti < architecture_.tensors.size(); ++ti) {
    const TensorSpec& t = architecture_.tensors[ti];
    const TensorLayout& l = layout_[ti];
    const size_t n = static_cast<size_t>(t.size());
    float* out = phenotype.data() + at;
    if (l.frozen || (l.lora && lora_delta_is_zero(genotype, l))) {
      // A lora weight whose B is zero (every root) is its base exactly, bit for bit: adding
      // A.B = 0 could still turn a base -0 into +0.
      std::copy_n(frozen_->data() + at, n, out);
    } else if (l.first_block < 0) {
      std::fill(out, out + n, t.kind == TensorKind::kNormScale ? 1.0f : 0.0f);
    } else if (!l.factorized) {
      const Block& b = blocks_[static_cast<size_t>(l.first_block)];
      std::copy_n(genotype.data() + b.offset, n, out);
    } else {
      const Block& ba = blocks_[static_cast<size_t>(l.first_block)];
      const Block& bb = blocks_[static_cast<size_t>(l.first_block) + 1];
      const Eigen::Map<const RowMajor> a(genotype.data() + ba.offset, l.rows, l.rank);
      const Eigen::Map<const RowMajor> b(genotype.data() + bb.offset, l.rank, l.cols);
      if (kernel_version_ >= 3) {
        // A.B on the fixed-order kernels (docs/kernels.md): each entry an fma chain over the
        // rank in order, the same bits on every machine. Eigen's product (below, versions 1
        // and 2) picks its blocking from the cache sizes it detects.
        develop_product_v3(genotype.data() + ba.offset, genotype.data() + bb.offset, l.rows, l.rank, l.cols,
                           t.kind == TensorKind::kConvKernel, out);
      } else if (t.kind == TensorKind::kConvKernel) {
        // M = A.B is (in*h*w) x out; kernel[o][i][y][x] = M((i*h + y)*w + x, o), i.e. the
        // kernel viewed as an out x (in*h*w) row-major matrix is M transposed.
        Eigen::Map<RowMajor> k(out, l.cols, l.rows);
        k.noalias() = (a * b).transpose();
      } else {
        Eigen::Map<RowMajor> w(out, l.rows, l.cols);
        w.noalias() = a * b;
      }
      if (l.lora) {
        const float* base = frozen_->data() + at;
        for (size_t i = 0; i < n; ++i) out[i] = base[i] + out[i];
      }
    }
    at += n;
  }
}

uint64_t Genome::checksum(std::span<const float> genotype) {
  return XXH64(genotype.data(), genotype.size() * sizeof(float), 0);
}

namespace {
// XXH64 (seed 0) over consecutive pieces: the bits of Genome::checksum on their concatenation.
class Xxh64Stream final : public lineage::ChecksumStream {
 public:
  Xxh64Stream() : state_(XXH64_createState(), &XXH64_freeState) {
    if (state_ == nullptr) throw std::bad_alloc();
    XXH64_reset(state_.get(), 0);
  }
  void update(std::span<const float> values) override {
    XXH64_update(state_.get(), values.data(), values.size() * sizeof(float));
  }
  uint64_t digest() override { return XXH64_digest(state_.get()); }

 private:
  std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)> state_;
};
}  // namespace

lineage::GenomeOps Genome::ops(ParallelPieces parallel) const {
  lineage::GenomeOps ops;
  // The piecewise replay (lineage/rebuild.hpp): on one thread as well, since a piece stays in
  // cache through all the path's mutations.
  ops.mutate_range = [this](std::span<float> g, uint64_t seed, size_t begin, size_t end) {
    mutate_range(g, seed, begin, end);
  };
  ops.checksum_stream = [] { return std::unique_ptr<lineage::ChecksumStream>(std::make_unique<Xxh64Stream>()); };
  ops.parallel = parallel;
  if (parallel) {
    ops.init = [this, parallel](uint64_t seed) { return init_parallel(seed, parallel); };
    ops.mutate = [this, parallel](std::span<float> g, uint64_t seed) { mutate_parallel(g, seed, parallel); };
    ops.checksum_then_mutate = [this, parallel](std::span<float> g, uint64_t seed) {
      return checksum_then_mutate(g, seed, parallel);
    };
  } else {
    ops.init = [this](uint64_t seed) { return init(seed); };
    ops.mutate = [this](std::span<float> g, uint64_t seed) { mutate(g, seed); };
  }
  ops.checksum = [](std::span<const float> g) { return checksum(g); };
  return ops;
}

nn::Mlp build_mlp(const Architecture& architecture, std::span<const float> phenotype, int kernel_version) {
  if (!architecture.is_mlp()) {
    invalid_argument("build_mlp: only an architecture of dense layers runs as an MLP");
  }
  check_size("the phenotype", phenotype.size(), static_cast<size_t>(architecture.parameter_count()));
  std::vector<size_t> offsets;
  size_t at = 0;
  for (const auto& t : architecture.tensors) {
    offsets.push_back(at);
    at += static_cast<size_t>(t.size());
  }
  std::vector<nn::DenseLayer> layers;
  for (const auto& spec : architecture.layers) {
    nn::DenseLayer layer;
    layer.activation = spec.activation;
    for (const int ti : spec.tensors) {
      const TensorSpec& t = architecture.tensors[static_cast<size_t>(ti)];
      const float* p = phenotype.data() + offsets[static_cast<size_t>(ti)];
      if (t.kind == TensorKind::kDenseWeight) {
        layer.weight = Eigen::Map<const RowMajor>(p, t.shape[0], t.shape[1]);
      } else {
        layer.bias = Eigen::Map<const Eigen::VectorXf>(p, t.shape[0]);
      }
    }
    layers.push_back(std::move(layer));
  }
  return nn::Mlp(std::move(layers), kernel_version);
}

}  // namespace seedline::genome
