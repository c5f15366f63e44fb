// Genome: an architecture bound to a representation, mutation settings and a noise version.
//
// The genotype is one flat float32 vector made of blocks in tensor order: a direct tensor is
// one block (the tensor itself, row-major); a factorized weight of shape rows x cols is two
// blocks, A (rows x k) then B (k x cols), whose product is the weight (a conv kernel
// (out, in, h, w) is developed as the (in*h*w) x out matrix A.B and reshaped; see
// docs/genome.md). Non-evolvable tensors (layer norm) are not in the genotype.
//
// Init and mutation (docs/genome.md, from Garbus & Pollack and their code):
//   direct weight   init std sqrt(2 / fan_in);           mutation += mr * std * eps
//   each factor     init std sqrt(sqrt(2) / fan_in_f);   mutation += sqrt(mr) * std_f * eps
//   bias            init 0;                              mutation += bias_std * eps
// with eps = noise(seed, block index, element index) of the genome's noise version. All of it
// is float32, elementwise, in a documented order of operations, so the same genotype bits
// come out on every x86-64 machine, in Debug and Release, on any thread count.
// develop() (A.B through Eigen) may differ in the last bits between CPUs; that is documented.
//
// Pretrained starting points (docs/genome.md): with a base file (a condition's init.from) the
// root genotype is the file's tensors, matched by block name, instead of init(seed); a lora
// weight is the file's weight, frozen, plus A.B with A drawn like a factor and B zero, and
// only A and B are in the genotype (its layer's bias is frozen too). The base values are
// copied once at construction and shared by copies of the Genome.
//
// Thread-safety: a Genome is immutable after construction; all members are const and may run
// concurrently. Failure: the constructor throws kUnimplemented for an unknown noise version,
// kInvalidArgument for a bad rank, for lora without a base, and for a base
// file that does not match the architecture (naming the tensor); mutate/develop/checksum
// throw kInvalidArgument when a span has the wrong size; init/develop throw
// kFailedPrecondition when the base was declared but not loaded (BaseWeights::file null).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "genome/architecture.hpp"
#include "lineage/rebuild.hpp"
#include "nn/mlp.hpp"

namespace seedline::genome {

// Runs piece(i) for every i in [0, n), possibly on several threads, and returns when all are
// done (callers adapt their thread pool). Empty: everything on the calling thread.
using ParallelPieces = std::function<void(size_t n, const std::function<void(size_t)>& piece)>;

struct MutationSettings {
  double mutation_rate = 0.01;  // mr
  double bias_std = 0.0;        // absolute noise std of bias mutations; default documented in docs/genome.md
  // When set, the absolute noise std of every weight and factor mutation instead of the
  // mr-relative one (the Deep GA's "mutation power"); biases still use bias_std.
  std::optional<double> sigma;
};

// The bias noise std used when an experiment gives no ga.bias_std: the mutation rate itself
// (docs/genome.md says why).
double default_bias_std(double mutation_rate);

class SafetensorsFile;

// Where the root genotype comes from (a condition's init.from).
struct BaseWeights {
  bool declared = false;                  // the condition gives init.from
  const SafetensorsFile* file = nullptr;  // the loaded file; null: counted only (no init/develop)
};

// One block of the genotype.
struct Block {
  std::string name;            // tensor name, or "<tensor>.A" / "<tensor>.B" for factors
  std::vector<int64_t> shape;
  size_t offset = 0;           // into the genotype
  size_t size = 0;
  int tensor = 0;              // index into Architecture::tensors
  float init_std = 0;          // 0 for biases (init to zero)
  float mutation_std = 0;      // the scale applied to eps in mutate()
  bool from_base = false;      // init() copies the base file's values here instead of drawing noise
};

class Genome {
 public:
  Genome(Architecture architecture, Representation representation, MutationSettings mutation, int noise_version,
         BaseWeights base = {});

  const Architecture& architecture() const;
  const Representation& representation() const;
  int noise_version() const;
  // The evaluation arithmetic of networks developed from this genome (kernels/version.hpp):
  // 1 unless set_kernel_version was called (genome_for_condition sets the run's version).
  int kernel_version() const { return kernel_version_; }
  // Throws kUnimplemented for a version this binary lacks. Call right after construction,
  // before the genome is shared between threads.
  void set_kernel_version(int version);
  const std::vector<Block>& blocks() const;
  size_t genotype_size() const;
  size_t phenotype_size() const;  // architecture().parameter_count()

  std::vector<float> init(uint64_t seed) const;
  void mutate(std::span<float> genotype, uint64_t seed) const;
  // mutate() restricted to the elements [begin, end) of the genotype: the same bits there,
  // nothing touched elsewhere. Ranges that cover the genotype, applied in any order or on
  // any threads, give exactly mutate()'s result (noise v1 is counter-based).
  void mutate_range(std::span<float> genotype, uint64_t seed, size_t begin, size_t end) const;
  // out = parent + mutation(seed), bit for bit what copying the parent and calling mutate()
  // gives, but in cache-sized pieces (copy a piece, mutate it while it is hot), so a child
  // costs little more than the mutation itself. `out` must not overlap `parent`.
  void mutate_into(std::span<const float> parent, uint64_t seed, std::span<float> out) const;
  // The phenotype: every architecture tensor in order, row-major, flat (layer norm 1/0 included).
  std::vector<float> develop(std::span<const float> genotype) const;
  // True when develop() is the identity (every tensor evolvable and direct): the genotype
  // can then be used as the phenotype without a copy.
  bool phenotype_is_genotype() const;
  // True when develop() adds frozen base values the genotype does not hold (lora).
  bool develops_from_base() const;
  // develop() into `out` (phenotype_size() values), so a worker can reuse one buffer.
  void develop_into(std::span<const float> genotype, std::span<float> out) const;
  // xxh64 (seed 0) of the genotype's little-endian float32 bytes.
  static uint64_t checksum(std::span<const float> genotype);

  // init() and mutate() split into element ranges of kPieceValues run as pieces of
  // `parallel`: exactly the bits of one thread (noise v1 is counter-based, the arithmetic
  // elementwise), in about 1/threads of the time for large genotypes.
  static constexpr size_t kPieceValues = size_t{1} << 16;
  std::vector<float> init_parallel(uint64_t seed, const ParallelPieces& parallel) const;
  void mutate_parallel(std::span<float> genotype, uint64_t seed, const ParallelPieces& parallel) const;
  // checksum(genotype), then mutate_parallel: one piece hashes the genotype in order while
  // the others mutate the pieces already hashed, so the hash costs little extra time.
  uint64_t checksum_then_mutate(std::span<float> genotype, uint64_t seed, const ParallelPieces& parallel) const;

  // init / mutate / checksum bound for lineage::rebuild (the Genome must outlive the ops),
  // with mutate_range and an XXH64 checksum stream for its piecewise replay; with `parallel`,
  // init and mutate are the *_parallel versions and the replay's pieces run on it.
  lineage::GenomeOps ops(ParallelPieces parallel = {}) const;

 private:
  // Where each architecture tensor lives in the genotype.
  struct TensorLayout {
    int first_block = -1;  // -1: not evolvable (layer norm, fixed) or frozen (lora)
    bool factorized = false;  // also true for lora: blocks A and B
    bool lora = false;        // phenotype = frozen base + A.B
    bool frozen = false;      // no block: developed as its base value
    int64_t rows = 0, cols = 0, rank = 0;  // factorized: the matrix A (rows x rank) . B (rank x cols)
  };

  void init_range(uint64_t seed, std::span<float> genotype, size_t begin, size_t end) const;
  // Copies the base file's tensors into root_ and frozen_ (genome_base.cpp).
  void take_base(const SafetensorsFile& file);
  // Throws kFailedPrecondition: the base was declared but not loaded.
  [[noreturn]] void require_base(const char* what) const;
  // The genotype init() starts from: the base values, or zeros.
  std::vector<float> root_copy() const;
  // True when the lora tensor's B block is all zeros (A.B adds nothing).
  bool lora_delta_is_zero(std::span<const float> genotype, const TensorLayout& layout) const;

  Architecture architecture_;
  Representation representation_;
  MutationSettings mutation_;
  int noise_version_;
  int kernel_version_ = 1;
  std::vector<Block> blocks_;
  std::vector<TensorLayout> layout_;  // one per architecture tensor
  size_t genotype_size_ = 0;
  bool base_declared_ = false;
  // With a base: the root genotype's values (blocks with from_base; others 0) and the frozen
  // tensors' values in phenotype layout (lora weights and biases; others 0). Shared, immutable.
  std::shared_ptr<const std::vector<float>> root_;
  std::shared_ptr<const std::vector<float>> frozen_;
};

// An nn::Mlp from an all-dense architecture and its phenotype, computing with the given kernel
// version (the run's: Genome::kernel_version()). Throws kInvalidArgument when the architecture
// is not an MLP or the phenotype has the wrong size, kUnimplemented for an unknown version.
nn::Mlp build_mlp(const Architecture& architecture, std::span<const float> phenotype, int kernel_version);

}  // namespace seedline::genome
